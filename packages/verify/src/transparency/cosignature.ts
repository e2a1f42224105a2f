/**
 * Note signatures over checkpoints: the log's Ed25519 signature (signed-note type 0x01) and
 * a witness's timestamped Ed25519 cosignature (c2sp.org/tlog-cosignature, type 0x04), which
 * signs `cosignature/v1\ntime <t>\n` followed by the checkpoint text.
 */

import { verifyEd25519 } from '../ed25519.js'
import { utf8Encode } from '../encoding.js'
import { WritError } from '../errors.js'
import {
  NOTE_COSIGNATURE_V1,
  NOTE_ED25519,
  type NoteSignature,
  type NoteVerifierKey,
  noteKeyId,
  noteSignatureLine,
} from './signed-note.js'

/** Signs bytes with an Ed25519 key: synchronous (a `@writ/core` signer) or not (a KMS). */
export type SignBytes = (message: Uint8Array) => Uint8Array | Promise<Uint8Array>

/** A key that signs notes under one name. */
export interface NoteSigner {
  readonly name: string
  /** The 32-byte Ed25519 public key. */
  readonly publicKey: Uint8Array
  readonly sign: SignBytes
}

/** The log's signature line over a note text (signed-note Ed25519, type 0x01). */
export async function signNoteText(text: string, signer: NoteSigner): Promise<string> {
  const signature = await signer.sign(utf8Encode(text))
  return noteSignatureLine(
    signer.name,
    noteKeyId(signer.name, NOTE_ED25519, signer.publicKey),
    signature,
  )
}

/** The message a v1 cosignature signs at `timestamp` (POSIX seconds) over a checkpoint text. */
export function cosignatureMessage(text: string, timestamp: number): Uint8Array {
  return utf8Encode(`cosignature/v1\ntime ${timestamp}\n${text}`)
}

/** A witness's cosignature line over a checkpoint text, at `timestamp` (POSIX seconds). */
export async function cosignCheckpointText(
  text: string,
  signer: NoteSigner,
  timestamp: number,
): Promise<string> {
  if (!Number.isSafeInteger(timestamp) || timestamp <= 0) {
    throw new WritError('COSIGNATURE_INVALID', 'A cosignature needs a positive timestamp')
  }
  const signature = await signer.sign(cosignatureMessage(text, timestamp))
  const bytes = new Uint8Array(72)
  new DataView(bytes.buffer).setBigUint64(0, BigInt(timestamp))
  bytes.set(signature, 8)
  return noteSignatureLine(
    signer.name,
    noteKeyId(signer.name, NOTE_COSIGNATURE_V1, signer.publicKey),
    bytes,
  )
}

/** True when a signed-note Ed25519 signature by `key` over `text` verifies. */
export async function verifyNoteSignature(
  text: string,
  signature: NoteSignature,
  key: NoteVerifierKey,
): Promise<boolean> {
  if (key.type !== NOTE_ED25519 || signature.signature.length !== 64) return false
  return verifyEd25519(signature.signature, utf8Encode(text), key.publicKey)
}

/**
 * Verifies a v1 cosignature by `key` over a checkpoint text and returns its timestamp.
 *
 * @throws WritError `COSIGNATURE_INVALID` when it does not verify.
 */
export async function verifyCosignature(
  text: string,
  signature: NoteSignature,
  key: NoteVerifierKey,
): Promise<number> {
  const bad = () =>
    new WritError('COSIGNATURE_INVALID', `The cosignature of ${key.name} does not verify`, {
      details: { witness: key.name },
    })
  if (key.type !== NOTE_COSIGNATURE_V1 || signature.signature.length !== 72) throw bad()
  const view = new DataView(signature.signature.buffer, signature.signature.byteOffset, 8)
  const timestamp = view.getBigUint64(0)
  if (timestamp === 0n || timestamp > BigInt(Number.MAX_SAFE_INTEGER)) throw bad()
  const message = cosignatureMessage(text, Number(timestamp))
  if (!(await verifyEd25519(signature.signature.subarray(8), message, key.publicKey))) throw bad()
  return Number(timestamp)
}
