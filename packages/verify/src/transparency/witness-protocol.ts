/**
 * The request body of the C2SP tlog-witness `add-checkpoint` call: `old <size>`, up to 63
 * consistency proof hashes in base64 (one a line), a blank line, then the checkpoint note.
 */
import { WritError } from '../errors.js'
import { base64Decode, base64Encode } from './base64.js'
import { TREE_HASH_SIZE } from './merkle.js'

/** Most proof lines a client may send (c2sp.org/tlog-witness). */
export const MAX_WITNESS_PROOF_LINES = 63

/** An `add-checkpoint` request. */
export interface AddCheckpointRequest {
  /** The size of the last checkpoint the witness cosigned for this log (0 when none). */
  readonly oldSize: number
  /** Consistency proof from `oldSize` to the checkpoint's size. */
  readonly proof: readonly Uint8Array[]
  /** The checkpoint note, with the log's signature. */
  readonly note: string
}

/** Writes an `add-checkpoint` request body. */
export function formatAddCheckpoint(request: AddCheckpointRequest): string {
  const lines = [`old ${request.oldSize}`, ...request.proof.map((hash) => base64Encode(hash))]
  return `${lines.join('\n')}\n\n${request.note}`
}

/**
 * Reads an `add-checkpoint` request body. The note itself is parsed by the caller.
 *
 * @throws WritError `NOTE_INVALID` when the body does not have the protocol's form.
 */
export function parseAddCheckpoint(body: string): AddCheckpointRequest {
  const bad = (message: string) => new WritError('NOTE_INVALID', message)
  const end = body.indexOf('\n\n')
  if (end < 0) throw bad('add-checkpoint: no blank line before the checkpoint')
  const [first, ...proofLines] = body.slice(0, end).split('\n')
  const match = /^old (0|[1-9][0-9]{0,15})$/.exec(first ?? '')
  if (match === null) throw bad('add-checkpoint: the first line is "old <size>"')
  if (proofLines.length > MAX_WITNESS_PROOF_LINES) throw bad('add-checkpoint: proof too long')
  const proof = proofLines.map((line) => {
    const hash = base64Decode(line, 'NOTE_INVALID')
    if (hash.length !== TREE_HASH_SIZE) throw bad('add-checkpoint: a proof hash is 32 bytes')
    return hash
  })
  const oldSize = Number(match[1])
  if (!Number.isSafeInteger(oldSize)) throw bad('add-checkpoint: old size too large')
  return { oldSize, proof, note: body.slice(end + 2) }
}
