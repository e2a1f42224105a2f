/**
 * A C2SP tlog-witness (c2sp.org/tlog-witness): it cosigns a log's checkpoint only when a
 * consistency proof shows that it extends the last checkpoint it cosigned for that log, and
 * remembers it durably before answering. Two checkpoints of one size with different roots
 * (a fork), a smaller checkpoint after a larger one (a rollback) and a rewritten history
 * all fail the proof, so the witness refuses them.
 */
import {
  base64Decode,
  base64Encode,
  type CheckpointTrust,
  cosignCheckpointText,
  EMPTY_TREE_ROOT,
  type NoteSigner,
  parseAddCheckpoint,
  parseCheckpointText,
  parseNote,
  verifyConsistency,
  verifyNoteSignature,
  WritError,
} from '@writ/verify'
import { bytesEqual } from '@writ/verify/internal'
import type { WitnessRecord, WitnessState } from './witness-state.js'

/** What a witness answers: an HTTP status, a content type and a body. */
export interface WitnessAnswer {
  readonly status: 200 | 400 | 403 | 404 | 409 | 422
  readonly contentType: string
  readonly body: string
  /** Why it refused, as a stable code, for logs. */
  readonly code?: string
}

/** What a witness is made of. */
export interface WitnessOptions {
  /** The witness's own key (cosignature/v1): its name, public key and signer. */
  readonly key: NoteSigner
  /** The logs it witnesses: their keys; each key's name is the log's origin. */
  readonly logs: CheckpointTrust['logs']
  readonly state: WitnessState
  /** POSIX seconds now; default the system clock. */
  readonly clock?: () => number
}

const TEXT = 'text/plain; charset=utf-8'

function refuse(status: WitnessAnswer['status'], code: string, body: string): WitnessAnswer {
  return { status, contentType: TEXT, body: `${body}\n`, code }
}

/**
 * The witness's `add-checkpoint`, serialized: each call sees the state the previous one left,
 * so two concurrent submissions cannot roll the witness back.
 */
export function createWitness(options: WitnessOptions): {
  addCheckpoint(body: string): Promise<WitnessAnswer>
  latest(origin: string): WitnessRecord | undefined
} {
  let queue: Promise<unknown> = Promise.resolve()
  return {
    addCheckpoint(body) {
      const run = queue.then(() => addCheckpointNow(options, body))
      queue = run.catch(() => undefined)
      return run
    },
    latest: (origin) => options.state.read(origin),
  }
}

async function addCheckpointNow(options: WitnessOptions, body: string): Promise<WitnessAnswer> {
  let request: ReturnType<typeof parseAddCheckpoint>
  let parsed: ReturnType<typeof parseNote>
  let head: ReturnType<typeof parseCheckpointText>
  try {
    request = parseAddCheckpoint(body)
    parsed = parseNote(request.note)
    head = parseCheckpointText(parsed.text)
  } catch (error) {
    return refuse(400, codeOf(error), 'malformed add-checkpoint request')
  }
  const keys = options.logs.filter((key) => key.name === head.origin)
  if (keys.length === 0) return refuse(404, 'KEY_UNKNOWN', 'unknown log')
  const signed = await logSignatureVerifies(parsed, keys)
  if (!signed) return refuse(403, 'SIGNATURE_INVALID', 'no valid signature from the log')
  if (request.oldSize > head.size) return refuse(400, 'CHECKPOINT_ROLLBACK', 'old size > size')
  const record = options.state.read(head.origin)
  const known = record?.size ?? 0
  if (request.oldSize !== known) {
    return { status: 409, contentType: 'text/x.tlog.size', body: `${known}\n`, code: 'CONFLICT' }
  }
  const consistent = checkExtends(record, head, request.proof)
  if (consistent !== undefined)
    return refuse(422, consistent, 'the checkpoint does not extend the last one cosigned')
  const timestamp = Math.floor(options.clock?.() ?? Date.now() / 1000)
  const line = await cosignCheckpointText(parsed.text, options.key, timestamp)
  const logLines = parsed.signatures
    .filter((signature) =>
      keys.some((key) => key.name === signature.name && key.keyId === signature.keyId),
    )
    .map((signature) => signature.line)
  options.state.write({
    origin: head.origin,
    size: head.size,
    root: base64Encode(head.root),
    note: `${parsed.text}\n${logLines.join('')}${line}`,
  })
  return { status: 200, contentType: TEXT, body: line }
}

async function logSignatureVerifies(
  parsed: ReturnType<typeof parseNote>,
  keys: CheckpointTrust['logs'],
): Promise<boolean> {
  let verified = false
  for (const key of keys) {
    for (const signature of parsed.signatures) {
      if (signature.name !== key.name || signature.keyId !== key.keyId) continue
      // A known key's bad signature makes the whole note malformed (c2sp.org/signed-note).
      if (!(await verifyNoteSignature(parsed.text, signature, key))) return false
      verified = true
    }
  }
  return verified
}

/** `undefined` when the checkpoint extends `record`, else the code of why not. */
function checkExtends(
  record: WitnessRecord | undefined,
  head: ReturnType<typeof parseCheckpointText>,
  proof: readonly Uint8Array[],
): string | undefined {
  if (head.size === 0 && !bytesEqual(head.root, EMPTY_TREE_ROOT)) return 'CHECKPOINT_INVALID'
  const fromSize = record?.size ?? 0
  const fromRoot = record === undefined ? EMPTY_TREE_ROOT : base64Decode(record.root)
  try {
    verifyConsistency({ fromSize, fromRoot, toSize: head.size, toRoot: head.root, proof })
    return undefined
  } catch (error) {
    return codeOf(error)
  }
}

function codeOf(error: unknown): string {
  return WritError.isInstance(error) ? error.code : 'NOTE_INVALID'
}
