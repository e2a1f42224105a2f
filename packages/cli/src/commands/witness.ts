/**
 * `writ witness serve`: a C2SP tlog-witness (c2sp.org/tlog-witness) that cosigns a log's
 * checkpoints only when they extend what it saw, with its state kept on disk.
 */
import { resolve } from 'node:path'
import { type AnySigner, isAsyncSigner } from '@writ/core'
import { signBefore } from '@writ/core/internal'
import { formatVerifierKey, NOTE_COSIGNATURE_V1, parseVerifierKey } from '@writ/verify'
import { base64UrlDecode } from '@writ/verify/internal'
import { usageError } from '../cli-error.js'
import { type Command, requiredFlag, stringFlag, stringFlags } from '../command.js'
import { openCommandKeys } from '../external-keys.js'
import { readTextFile } from '../files.js'
import { loadServerPackage } from '../optional-packages.js'

/** A `--log` value: a vkey, or `@FILE` holding vkeys one a line. */
function logKeys(io: Parameters<Command['run']>[1], values: readonly string[]) {
  const vkeys = values.flatMap((value) =>
    value.startsWith('@')
      ? readTextFile(io, value.slice(1), 'log key file')
          .split('\n')
          .map((line) => line.trim())
          .filter((line) => line.length > 0)
      : [value],
  )
  if (vkeys.length === 0) throw usageError('give at least one --log key')
  return vkeys.map(parseVerifierKey)
}

/** How long a key in a token may take to make one cosignature, in milliseconds. */
const COSIGN_TIMEOUT_MS = 2500

/** Signs with the witness's key; a key in a token within {@link COSIGN_TIMEOUT_MS}. */
function cosigner(signer: AnySigner): (message: Uint8Array) => Promise<Uint8Array> {
  if (!isAsyncSigner(signer)) return async (message) => signer.sign(message)
  return (message) => signBefore(signer, message, Date.now() + COSIGN_TIMEOUT_MS)
}

/** `writ witness serve`. */
export const witnessServeCommand: Command = {
  name: 'witness serve',
  summary: 'run a C2SP tlog-witness that cosigns only checkpoints that extend what it saw',
  positionals: { min: 0, max: 0, names: '' },
  options: {
    key: { type: 'string' },
    signer: { type: 'string' },
    name: { type: 'string' },
    log: { type: 'string', multiple: true },
    state: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
  },
  help: `Usage: writ witness serve (--key W | --signer URI) --name NAME --log LOG-VKEY [--log …]
                         [--state DIR] [--port N] [--host ADDR]

Serves POST /add-checkpoint and GET /<origin hash>/checkpoint (c2sp.org/tlog-witness).
It cosigns a checkpoint of a known log only when the log's signature verifies and a
consistency proof shows that it extends the last checkpoint it cosigned for that log,
and writes that checkpoint to --state (default ./witness-state) before it answers:
a fork, a rollback or a rewritten history is refused.

  --key W       the witness's signing key (writ keygen; mode 0600), or a ring of
                public keys whose active key names its token ("signer")
  --signer URI  the witness's key in a PKCS#11 token (RFC 7512 URI), as writ serve
                takes it; a cosignature the token does not make within 2.5 s is
                refused (SIGNER_UNAVAILABLE) and nothing is recorded
  --name NAME   the witness's name, e.g. witness.example.org/w1
  --log VKEY    a log key (the vkey writ checkpoint --note prints), or @FILE of
                vkeys one a line; repeat for more logs
  --state DIR   where the witness keeps what it cosigned (default ./witness-state)
  --port N      the port (default 8788)
  --host ADDR   the address to listen on (default 127.0.0.1)

On start it prints its own verifier key: give it to the authority (--witness) and
to auditors (the trust file's "witnesses").`,
  async run(input, io) {
    const name = requiredFlag(input, 'name')
    const logs = logKeys(io, stringFlags(input, 'log'))
    const port = Number(stringFlag(input, 'port') ?? '8788')
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw usageError('--port is 0 to 65535')
    const { openWitnessState, startWitnessServer } = await loadServerPackage('writ witness serve')
    const keys = await openCommandKeys(io, input)
    try {
      const signer = keys.ring.active
      const publicKey = base64UrlDecode(signer.publicJwk.x)
      const witness = await startWitnessServer({
        key: { name, publicKey, sign: cosigner(signer) },
        logs,
        state: openWitnessState(resolve(io.cwd, stringFlag(input, 'state') ?? 'witness-state')),
        port,
        hostname: stringFlag(input, 'host') ?? '127.0.0.1',
      })
      io.stdout(`${formatVerifierKey(name, NOTE_COSIGNATURE_V1, publicKey)}\n`)
      io.stderr(`witness ${name} listening on ${witness.url}\n`)
      await untilStopped(() => witness.close())
      return 0
    } finally {
      await keys.close()
    }
  },
}

/** Resolves once SIGINT or SIGTERM arrives and `close` has finished. */
function untilStopped(close: () => Promise<void>): Promise<void> {
  return new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop)
      process.off('SIGTERM', stop)
      close().then(done, done)
    }
    process.on('SIGINT', stop)
    process.on('SIGTERM', stop)
  })
}
