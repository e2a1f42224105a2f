/**
 * Verifying a checkpoint note under a trust policy: which log keys sign checkpoints, which
 * witnesses cosign them, and how many witnesses must agree (spec section 12).
 */
import { WritError } from '../errors.js'
import { verifyCosignature, verifyNoteSignature } from './cosignature.js'
import {
  NOTE_COSIGNATURE_V1,
  NOTE_ED25519,
  type NoteVerifierKey,
  type ParsedNote,
  parseNote,
  parseVerifierKey,
  signatureBy,
} from './signed-note.js'
import { parseCheckpointText, type TreeHead } from './tlog-checkpoint.js'

/** Who is trusted for checkpoints: log keys, witness keys, and the witness quorum. */
export interface CheckpointTrust {
  /** Log keys (signed-note Ed25519, type 0x01); the key name is the checkpoint's origin. */
  readonly logs: readonly NoteVerifierKey[]
  /** Witness keys (cosignature v1, type 0x04). */
  readonly witnesses: readonly NoteVerifierKey[]
  /** How many distinct witnesses must cosign; 0 accepts a checkpoint on the log's signature alone. */
  readonly quorum: number
}

/** The JSON form of a {@link CheckpointTrust}: verifier keys as C2SP vkey strings. */
export interface CheckpointTrustInput {
  readonly logs: readonly string[]
  readonly witnesses?: readonly string[]
  /** Default: every listed witness when there are any, else 0. */
  readonly quorum?: number
}

/**
 * Builds a {@link CheckpointTrust} from vkey strings, refusing key types in the wrong list,
 * duplicate keys and a quorum the witnesses cannot reach.
 *
 * @throws WritError `TRUST_INVALID`.
 */
export function createCheckpointTrust(input: CheckpointTrustInput): CheckpointTrust {
  const bad = (message: string) => new WritError('TRUST_INVALID', message)
  if (typeof input !== 'object' || input === null || !Array.isArray(input.logs)) {
    throw bad('a checkpoint trust lists log keys')
  }
  const logs = input.logs.map(parseVerifierKey)
  const witnesses = (input.witnesses ?? []).map(parseVerifierKey)
  if (logs.some((key) => key.type !== NOTE_ED25519)) throw bad('a log key has type 0x01')
  if (witnesses.some((key) => key.type !== NOTE_COSIGNATURE_V1)) {
    throw bad('a witness key has type 0x04 (cosignature/v1)')
  }
  const names = new Set(witnesses.map((key) => key.name))
  if (names.size !== witnesses.length) throw bad('each witness is listed once')
  const quorum = input.quorum ?? witnesses.length
  if (!Number.isSafeInteger(quorum) || quorum < 0 || quorum > witnesses.length) {
    throw bad('the quorum must be between 0 and the number of witnesses')
  }
  return Object.freeze({
    logs: Object.freeze(logs),
    witnesses: Object.freeze(witnesses),
    quorum,
  })
}

/** A checkpoint whose log signature, and witness quorum, verified. */
export interface VerifiedCheckpointNote extends TreeHead {
  /** The note as given. */
  readonly note: string
  /** Its signed text. */
  readonly text: string
  /** The log key that signed it. */
  readonly log: string
  /** Witnesses whose cosignatures verified, with their timestamps. */
  readonly witnesses: readonly { readonly name: string; readonly timestamp: number }[]
}

/** Options of {@link verifyCheckpointNote}. */
export interface VerifyCheckpointNoteOptions {
  /** Check the witness quorum (default true). False still verifies every known cosignature. */
  readonly requireQuorum?: boolean
}

/**
 * Verifies a checkpoint note: its form, the signature of a trusted log key whose name is the
 * origin, every cosignature from a trusted witness, and the quorum. Signatures from unknown
 * keys are ignored, as the signed-note format requires; a known key's bad signature fails
 * the whole note.
 *
 * @throws WritError, checked in this order: `NOTE_INVALID`, `CHECKPOINT_INVALID`,
 *   `KEY_UNKNOWN` (no trusted log signature), `SIGNATURE_INVALID`, `COSIGNATURE_INVALID`,
 *   `WITNESS_QUORUM_NOT_MET`.
 */
export async function verifyCheckpointNote(
  note: string,
  trust: CheckpointTrust,
  options: VerifyCheckpointNoteOptions = {},
): Promise<VerifiedCheckpointNote> {
  const parsed = parseNote(note)
  const head = parseCheckpointText(parsed.text)
  const log = await verifyLogSignature(parsed, head, trust)
  const witnesses: { name: string; timestamp: number }[] = []
  for (const key of trust.witnesses) {
    const signature = signatureBy(parsed, key)
    if (signature === undefined) continue
    witnesses.push({
      name: key.name,
      timestamp: await verifyCosignature(parsed.text, signature, key),
    })
  }
  if (options.requireQuorum !== false && witnesses.length < trust.quorum) {
    throw new WritError(
      'WITNESS_QUORUM_NOT_MET',
      `The checkpoint has ${witnesses.length} of the ${trust.quorum} witness cosignatures required`,
      { details: { cosigned: witnesses.map((witness) => witness.name), quorum: trust.quorum } },
    )
  }
  return Object.freeze({
    ...head,
    note,
    text: parsed.text,
    log,
    witnesses: Object.freeze(witnesses.map((witness) => Object.freeze(witness))),
  })
}

async function verifyLogSignature(
  parsed: ParsedNote,
  head: TreeHead,
  trust: CheckpointTrust,
): Promise<string> {
  let verified: string | undefined
  for (const key of trust.logs) {
    if (key.name !== head.origin) continue
    const signature = signatureBy(parsed, key)
    if (signature === undefined) continue
    if (!(await verifyNoteSignature(parsed.text, signature, key))) {
      throw new WritError('SIGNATURE_INVALID', `The log signature of ${key.name} does not verify`, {
        details: { origin: head.origin },
      })
    }
    verified = key.name
  }
  if (verified === undefined) {
    throw new WritError('KEY_UNKNOWN', 'No trusted log key signed this checkpoint', {
      details: { origin: head.origin },
    })
  }
  return verified
}
