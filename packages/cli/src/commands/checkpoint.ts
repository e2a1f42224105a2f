/**
 * `writ checkpoint --store DB --key KEYFILE`: signs the current size and head of a
 * chain in a store (SQLite or PostgreSQL), stores the checkpoint and prints it, to be
 * kept somewhere else.
 */
import { compilePolicy, createGate, type StoredCheckpoint } from '@writ/core'
import { CliError } from '../cli-error.js'
import {
  booleanFlag,
  type Command,
  jsonLine,
  type ParsedInput,
  stringFlag,
  stringFlags,
} from '../command.js'
import { EXIT_CODES } from '../exit-codes.js'
import { openCommandKeys } from '../external-keys.js'
import type { CliIo } from '../io.js'
import {
  type ExistingStore,
  openExistingStore,
  requireStoreLocation,
  STORE_CHAIN_FLAGS,
} from '../store.js'
import { publishNote, witnessEndpoint } from './checkpoint-note.js'
import { DEFAULT_CHAIN, DEFAULT_ISSUER } from './decide.js'

// A checkpoint decides nothing; the gate only needs a policy to exist.
const NO_RULES = 'writ: 1\nid: writ-cli-checkpoint\nrules: []\n'

/**
 * The chain to checkpoint must hold receipts: a checkpoint of a chain that does not
 * exist (a typo in --chain) would be a signed statement about nothing, and
 * `chain verify` against it would prove nothing.
 *
 * @throws CliError `CHAIN_UNKNOWN` (with the chains the store holds) or `CHAIN_EMPTY`.
 */
async function requireChainWithReceipts(opened: ExistingStore, chainId: string): Promise<number> {
  const chains = await opened.chains()
  if (!chains.includes(chainId))
    throw new CliError(
      'CHAIN_UNKNOWN',
      `the store has no chain "${chainId}"; its chains: ${chains.length === 0 ? '(none)' : chains.join(', ')}`,
      { details: { chain: chainId, chains } },
    )
  const head = await opened.store.head(chainId)
  if (head.seq === 0)
    throw new CliError(
      'CHAIN_EMPTY',
      `chain "${chainId}" holds no receipt yet: nothing to checkpoint`,
      {
        details: { chain: chainId },
      },
    )
  return head.seq
}

/** The `iss` of the chain's last receipt, the default issuer of its checkpoint. */
async function lastIssuer(
  opened: ExistingStore,
  chainId: string,
  size: number,
): Promise<string | undefined> {
  for await (const last of opened.store.receipts(chainId, { fromSeq: size - 1, limit: 1 }))
    return last.claims.iss
  return undefined
}

/** `writ checkpoint`. */
export const checkpointCommand: Command = {
  name: 'checkpoint',
  summary: 'sign a checkpoint (size and head) of a chain in a store and print it',
  positionals: { min: 0, max: 0, names: '' },
  options: {
    ...STORE_CHAIN_FLAGS,
    key: { type: 'string' },
    signer: { type: 'string' },
    issuer: { type: 'string' },
    note: { type: 'boolean' },
    witness: { type: 'string', multiple: true },
  },
  help: `Usage: writ checkpoint (--store DB | --store-url-file FILE | WRIT_STORE_URL)
                       (--key KEYFILE | --signer URI) [--chain ID] [--issuer ISS]
                       [--json]
                       [--note [--witness URL=VKEY]…]

Signs a checkpoint of the chain's current size and head digest, records it in the
store and prints the token. Keep it outside the store (an auditor, another
system): \`writ chain verify --checkpoint\` then detects a truncated or rewritten
history.

  --store DB     the store: a SQLite file, or a postgres:// URL without a password
                 (must exist; required unless the URL comes from the next flag
                 or the environment)
  --store-url-file FILE
                 a file (mode 0600) holding the PostgreSQL URL, password included;
                 or set WRIT_STORE_URL (or WRIT_STORE_URL_FILE). A password in
                 --store is refused (SECRET_ON_COMMAND_LINE)
  --key KEYFILE  private signing key or key ring (mode 0600), or a ring of public
                 keys whose active key names its token ("signer")
  --signer URI   the active key in a PKCS#11 token (RFC 7512 URI), as writ serve
                 takes it; a note it does not sign within 2.5 s is refused
                 (SIGNER_UNAVAILABLE) and nothing is kept
  --chain ID     the chain (default ${DEFAULT_CHAIN}, the chain a gate writes to
                 when none is named); a chain the store does not hold, or one
                 without receipts, is refused (CHAIN_UNKNOWN, CHAIN_EMPTY)
  --issuer ISS   checkpoint iss (default: the iss of the chain's last receipt,
                 else ${DEFAULT_ISSUER})
  --note         also sign the checkpoint as a C2SP signed note (spec section 12),
                 print the note instead of the token, and the log's verifier key
                 (vkey) on stderr: what witnesses and auditors trust
  --witness URL=VKEY
                 with --note: ask this witness (c2sp.org/tlog-witness) to cosign
                 the note, and keep its cosignature with it; repeatable
  --json         print { chain, size, head, iat, token } (with --note, also note
                 and vkey)

Exit codes: 0 issued, 2 usage error (SECRET_ON_COMMAND_LINE), 3 missing or
unreachable store, unknown or empty chain, bad key or store error.`,
  async run(input, io) {
    const location = requireStoreLocation(input, io)
    // Malformed witnesses are refused before anything is signed.
    const witnesses = stringFlags(input, 'witness').map(witnessEndpoint)
    const chainId = stringFlag(input, 'chain') ?? DEFAULT_CHAIN
    const keys = await openCommandKeys(io, input)
    let opened: ExistingStore | undefined
    try {
      opened = await openExistingStore(io, location)
      const size = await requireChainWithReceipts(opened, chainId)
      const issuer = stringFlag(input, 'issuer') ?? (await lastIssuer(opened, chainId, size))
      const gate = createGate({
        policy: compilePolicy(NO_RULES, { source: 'writ-cli-checkpoint' }),
        keys: keys.ring,
        issuer: issuer ?? DEFAULT_ISSUER,
        store: opened.store,
        chainId,
      })
      const checkpoint = await gate.checkpoint()
      if (booleanFlag(input, 'note')) {
        printNote(io, input, checkpoint.chainId, await publishNote(gate, witnesses, io))
      } else printCheckpoint(io, input, checkpoint)
      return EXIT_CODES.ok
    } finally {
      await opened?.close()
      await keys.close()
    }
  },
}

/** Prints a checkpoint note (or its JSON), and the log's verifier key on stderr. */
function printNote(
  io: CliIo,
  input: ParsedInput,
  chainId: string,
  published: Awaited<ReturnType<typeof publishNote>>,
): void {
  io.stdout(
    booleanFlag(input, 'json')
      ? jsonLine({
          chain: chainId,
          size: published.size,
          note: published.note,
          vkey: published.vkey,
        })
      : published.note,
  )
  io.stderr(
    `checkpoint note of chain ${chainId}: size ${published.size}; log key ${published.vkey}\n`,
  )
}

/** Prints a checkpoint token (or its JSON), and a summary on stderr. */
function printCheckpoint(io: CliIo, input: ParsedInput, checkpoint: StoredCheckpoint): void {
  if (booleanFlag(input, 'json')) {
    io.stdout(
      jsonLine({
        chain: checkpoint.chainId,
        size: checkpoint.size,
        head: checkpoint.head,
        iat: checkpoint.iat,
        token: checkpoint.token,
      }),
    )
    return
  }
  io.stdout(`${checkpoint.token}\n`)
  io.stderr(
    `checkpoint of chain ${checkpoint.chainId}: size ${checkpoint.size}, head ${checkpoint.head ?? '(empty)'}\n`,
  )
}
