/**
 * C2SP tlog-checkpoint note texts (c2sp.org/tlog-checkpoint): the origin line, the tree
 * size in decimal, the base64 root hash, then optional extension lines. Writ's origin is
 * `<issuer host>/writ/<chain id>` (spec section 12) and it writes no extension lines.
 */
import { WritError } from '../errors.js'
import { base64Decode, base64Encode } from './base64.js'
import { TREE_HASH_SIZE } from './merkle.js'

/** The tree head a checkpoint names. */
export interface TreeHead {
  /** The log's identity: for Writ, `<issuer host>/writ/<chain id>`. */
  readonly origin: string
  /** Number of leaves (receipts). */
  readonly size: number
  /** RFC 9162 root hash of those leaves. */
  readonly root: Uint8Array
  /** Extension lines after the root, if any (opaque; Writ writes none). */
  readonly extensions: readonly string[]
}

const SIZE = /^(?:0|[1-9][0-9]{0,15})$/

function invalid(message: string): WritError {
  return new WritError('CHECKPOINT_INVALID', message)
}

/** The origin of a Writ chain's checkpoints: `<issuer host>/writ/<chain id>`. */
export function writOrigin(issuer: string, chainId: string): string {
  let host = issuer
  try {
    host = new URL(issuer).host || issuer
  } catch {
    // Not a URL: the issuer is already a bare name.
  }
  const origin = `${host}/writ/${chainId}`
  if (!/^[^\s+]+$/u.test(origin)) {
    throw new WritError('CHECKPOINT_INVALID', 'The issuer and chain id make no valid origin', {
      details: { origin },
    })
  }
  return origin
}

/** The note text of a checkpoint: origin, size and root lines, each ending in a newline. */
export function formatCheckpointText(head: Omit<TreeHead, 'extensions'>): string {
  if (!/^[^\s+]+$/u.test(head.origin)) throw invalid('invalid origin')
  if (!Number.isSafeInteger(head.size) || head.size < 0) throw invalid('invalid size')
  if (head.root.length !== TREE_HASH_SIZE) throw invalid('a root hash is 32 bytes')
  return `${head.origin}\n${head.size}\n${base64Encode(head.root)}\n`
}

/**
 * Reads a checkpoint's note text (signatures already split off).
 *
 * @throws WritError `CHECKPOINT_INVALID` when the text is not a tlog-checkpoint body.
 */
export function parseCheckpointText(text: string): TreeHead {
  if (typeof text !== 'string' || !text.endsWith('\n')) throw invalid('not a checkpoint text')
  const lines = text.slice(0, -1).split('\n')
  if (lines.length < 3 || lines.some((line) => line.length === 0)) {
    throw invalid('a checkpoint has an origin, a size and a root, none empty')
  }
  const [origin, size, root, ...extensions] = lines as [string, string, string, ...string[]]
  if (!SIZE.test(size) || !Number.isSafeInteger(Number(size))) throw invalid('invalid tree size')
  let rootBytes: Uint8Array
  try {
    rootBytes = base64Decode(root)
  } catch {
    throw invalid('the root hash is not base64')
  }
  if (rootBytes.length !== TREE_HASH_SIZE) throw invalid('a root hash is 32 bytes')
  return Object.freeze({
    origin,
    size: Number(size),
    root: rootBytes,
    extensions: Object.freeze(extensions),
  })
}
