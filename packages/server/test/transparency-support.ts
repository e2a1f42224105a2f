// Keys, gates and witnesses for the transparency tests: real Ed25519 keys, a real gate on a
// memory store, real witnesses on 127.0.0.1.
import { generateKeyPairSync, sign } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  compilePolicy,
  createGate,
  generateSigningKey,
  type LocalGate,
  type Store,
} from '@writ/core'
import {
  createCheckpointTrust,
  formatVerifierKey,
  NOTE_COSIGNATURE_V1,
  type NoteSigner,
  parseVerifierKey,
} from '@writ/verify'
import { base64UrlDecode } from '@writ/verify/internal'
import { type ListeningWitness, startWitnessServer } from '../src/witness/witness-server.js'
import { openWitnessState } from '../src/witness/witness-state.js'

export const ISSUER = 'https://authority.example'
const POLICY =
  'writ: 1\nid: transparency\nrules:\n  - id: all\n    effect: permit\n    actions: ["*"]\n'

/** A fresh Ed25519 note signer under `name`. */
export function noteSigner(name: string): NoteSigner {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519')
  const x = publicKey.export({ format: 'jwk' }).x as string
  return {
    name,
    publicKey: base64UrlDecode(x),
    sign: (message) => new Uint8Array(sign(null, message, privateKey)),
  }
}

/** The cosignature/v1 verifier key of a witness signer. */
export function witnessVkey(witness: NoteSigner): string {
  return formatVerifierKey(witness.name, NOTE_COSIGNATURE_V1, witness.publicKey)
}

/** A gate on `store` with a fresh key (or `key`), and `count` receipts appended. */
export async function gateWith(
  store: Store,
  count: number,
  key = generateSigningKey(),
  chainId = 'main',
): Promise<LocalGate> {
  const gate = createGate({
    policy: compilePolicy(POLICY, { source: 'test' }),
    keys: key,
    issuer: ISSUER,
    store,
    chainId,
  })
  for (let index = 0; index < count; index++) {
    await gate.authorize({ action: 'payments.transfer', args: { index } })
  }
  return gate
}

/** Witnesses on 127.0.0.1 that trust `logVkeys`, each with its own state directory. */
export async function startWitnesses(
  count: number,
  logVkeys: readonly string[],
): Promise<{
  witnesses: { signer: NoteSigner; server: ListeningWitness; dir: string }[]
  stop(): Promise<void>
}> {
  const logs = logVkeys.map(parseVerifierKey)
  const witnesses: { signer: NoteSigner; server: ListeningWitness; dir: string }[] = []
  for (let index = 0; index < count; index++) {
    const signer = noteSigner(`witness-${index}.example/w`)
    const dir = mkdtempSync(join(tmpdir(), 'writ-witness-'))
    const server = await startWitnessServer({ key: signer, logs, state: openWitnessState(dir) })
    witnesses.push({ signer, server, dir })
  }
  return {
    witnesses,
    async stop() {
      for (const witness of witnesses) {
        await witness.server.close()
        rmSync(witness.dir, { recursive: true, force: true })
      }
    },
  }
}

/** The trust an auditor holds: the log key, the witness keys and a quorum. */
export function trustOf(
  logVkeys: readonly string[],
  witnesses: readonly NoteSigner[],
  quorum: number,
) {
  return createCheckpointTrust({ logs: logVkeys, witnesses: witnesses.map(witnessVkey), quorum })
}
