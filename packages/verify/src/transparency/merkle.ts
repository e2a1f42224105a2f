/**
 * RFC 9162 section 2.1 Merkle trees: leaf and node hashes, inclusion and consistency
 * proofs, and their verification. Leaf `i` of a Writ chain's tree is the receipt with
 * `seq = i` (spec section 12).
 *
 * Proof generation is written for stores: every hash in a proof is the hash of a range of
 * leaves, every such range is a short run of complete subtrees, and complete subtrees never
 * change once written. A store that keeps the hash of every complete subtree answers any
 * proof, for any past tree size, with O(log n) reads.
 */
import { sha256 } from '../digest.js'
import { bytesEqual, concatBytes } from '../encoding.js'
import { WritError } from '../errors.js'

/** Bytes in a tree hash (SHA-256). */
export const TREE_HASH_SIZE = 32

/** Largest tree size Writ handles: sizes and indexes stay exact JavaScript integers. */
export const MAX_TREE_SIZE = Number.MAX_SAFE_INTEGER

/** The root of the empty tree: SHA-256 of no bytes. */
export const EMPTY_TREE_ROOT: Uint8Array = sha256(new Uint8Array(0))

const LEAF_PREFIX = new Uint8Array([0])

/** The leaf hash of a receipt: SHA-256(0x00 || the ASCII bytes of its compact token). */
export function leafHash(leaf: Uint8Array | string): Uint8Array {
  // U+0000 is the single byte 0x00 in UTF-8, so a token is hashed with its prefix in one
  // encoding, without a second copy of its bytes.
  if (typeof leaf === 'string') return sha256(`\u0000${leaf}`)
  return sha256(concatBytes([LEAF_PREFIX, leaf], leaf.length + 1))
}

/** An interior node: SHA-256(0x01 || left || right). */
export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  const input = new Uint8Array(1 + left.length + right.length)
  input[0] = 1
  input.set(left, 1)
  input.set(right, 1 + left.length)
  return sha256(input)
}

/**
 * A complete subtree: the `2^level` leaves from `index * 2^level` on. Level 0 subtrees are
 * the leaves themselves.
 */
export interface Subtree {
  readonly level: number
  readonly index: number
}

/** Half-open range of leaves `[start, end)`. */
type Range = readonly [start: number, end: number]

/** Largest power of two strictly below `n` (n > 1). */
function splitPoint(n: number): number {
  let k = 1
  while (k * 2 < n) k *= 2
  return k
}

/**
 * The complete subtrees that make up `[start, end)`, left to right, largest first. Every
 * range that appears in an RFC 9162 proof starts on a multiple of its largest piece, so the
 * pieces are aligned.
 */
export function rangeSubtrees(start: number, end: number): Subtree[] {
  const pieces: Subtree[] = []
  let at = start
  while (at < end) {
    let size = 1
    let level = 0
    while (size * 2 <= end - at) {
      size *= 2
      level++
    }
    pieces.push({ level, index: at / size })
    at += size
  }
  return pieces
}

/** The hash of a range from the hashes of its pieces ({@link rangeSubtrees}), folded from the right. */
function foldPieces(hashes: readonly Uint8Array[]): Uint8Array {
  let hash = hashes[hashes.length - 1] as Uint8Array
  for (let index = hashes.length - 2; index >= 0; index--) hash = nodeHash(hashes[index]!, hash)
  return hash
}

/** The ranges whose hashes form the inclusion proof of leaf `index` in a tree of `size` (RFC 9162 2.1.3.1), leaf upwards. */
export function inclusionRanges(index: number, size: number): Range[] {
  const ranges: Range[] = []
  const path = (m: number, start: number, end: number): void => {
    if (end - start <= 1) return
    const k = splitPoint(end - start)
    if (m < k) {
      path(m, start, start + k)
      ranges.push([start + k, end])
    } else {
      path(m - k, start + k, end)
      ranges.push([start, start + k])
    }
  }
  path(index, 0, size)
  return ranges
}

/** The ranges whose hashes form the consistency proof from `from` to `to` leaves (RFC 9162 2.1.4.1). */
export function consistencyRanges(from: number, to: number): Range[] {
  const ranges: Range[] = []
  const subproof = (m: number, start: number, end: number, whole: boolean): void => {
    if (m === end - start) {
      if (!whole) ranges.push([start, end])
      return
    }
    const k = splitPoint(end - start)
    if (m <= k) {
      subproof(m, start, start + k, whole)
      ranges.push([start + k, end])
    } else {
      subproof(m - k, start + k, end, false)
      ranges.push([start, start + k])
    }
  }
  if (from > 0 && from < to) subproof(from, 0, to, true)
  return ranges
}

/**
 * Reads stored complete-subtree hashes, in the order asked. A store answers from what it
 * wrote when each leaf was appended; it may read them all in one query.
 */
export type SubtreeReader = (
  subtrees: readonly Subtree[],
) => Promise<readonly Uint8Array[]> | readonly Uint8Array[]

async function hashRanges(read: SubtreeReader, ranges: readonly Range[]): Promise<Uint8Array[]> {
  const pieces = ranges.map(([start, end]) => rangeSubtrees(start, end))
  const wanted = new Map<string, Subtree>()
  for (const list of pieces) for (const piece of list) wanted.set(subtreeKey(piece), piece)
  const unique = [...wanted.values()]
  const hashes = unique.length === 0 ? [] : await read(unique)
  const byKey = new Map<string, Uint8Array>()
  unique.forEach((piece, position) => {
    const hash = hashes[position]
    if (!(hash instanceof Uint8Array) || hash.length !== TREE_HASH_SIZE) {
      throw new WritError('STORE_UNAVAILABLE', 'The store is missing a tree node it should hold', {
        details: { level: piece.level, index: piece.index },
      })
    }
    byKey.set(subtreeKey(piece), hash)
  })
  return pieces.map((list) => foldPieces(list.map((piece) => byKey.get(subtreeKey(piece))!)))
}

function subtreeKey(subtree: Subtree): string {
  return `${subtree.level}/${subtree.index}`
}

function checkSize(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new WritError('PROOF_INVALID', `${name} must be a non-negative integer`, {
      details: { [name]: value },
    })
  }
}

/** The root hash of the first `size` leaves, from stored subtree hashes. */
export async function treeRootFrom(read: SubtreeReader, size: number): Promise<Uint8Array> {
  checkSize(size, 'size')
  if (size === 0) return EMPTY_TREE_ROOT
  const [root] = await hashRanges(read, [[0, size]])
  return root as Uint8Array
}

/**
 * The inclusion proof of leaf `index` in the tree of `size` leaves, from stored subtree hashes.
 *
 * @throws WritError `PROOF_INVALID` when `index >= size`.
 */
export async function inclusionProofFrom(
  read: SubtreeReader,
  index: number,
  size: number,
): Promise<Uint8Array[]> {
  checkSize(index, 'index')
  checkSize(size, 'size')
  if (index >= size) {
    throw new WritError('PROOF_INVALID', 'The leaf is not in a tree of that size', {
      details: { index, size },
    })
  }
  return hashRanges(read, inclusionRanges(index, size))
}

/**
 * The consistency proof from the tree of `from` leaves to the tree of `to` leaves.
 * Empty when `from` is 0 or equals `to`.
 *
 * @throws WritError `PROOF_INVALID` when `from > to`.
 */
export async function consistencyProofFrom(
  read: SubtreeReader,
  from: number,
  to: number,
): Promise<Uint8Array[]> {
  checkSize(from, 'from')
  checkSize(to, 'to')
  if (from > to) {
    throw new WritError('PROOF_INVALID', 'A tree cannot be proved consistent with a larger one', {
      details: { from, to },
    })
  }
  return hashRanges(read, consistencyRanges(from, to))
}

/** The left siblings a store reads to append leaf `index` ({@link subtreesAfterAppend}). */
export function leftSiblingsOf(index: number): Subtree[] {
  const siblings: Subtree[] = []
  let position = index
  for (let level = 0; position % 2 === 1; level++) {
    siblings.push({ level, index: position - 1 })
    position = (position - 1) / 2
  }
  return siblings
}

/**
 * The complete subtrees that appending leaf `index` (with hash `leaf`) completes: the leaf
 * itself and each parent it finishes, given the hashes of {@link leftSiblingsOf}, in order.
 */
export function subtreesAfterAppend(
  index: number,
  leaf: Uint8Array,
  leftSiblings: readonly Uint8Array[],
): { readonly subtree: Subtree; readonly hash: Uint8Array }[] {
  const written = [{ subtree: { level: 0, index } as Subtree, hash: leaf }]
  let hash = leaf
  let position = index
  for (let level = 0; position % 2 === 1; level++) {
    const left = leftSiblings[level]
    if (!(left instanceof Uint8Array) || left.length !== TREE_HASH_SIZE) {
      throw new WritError('STORE_UNAVAILABLE', 'The store is missing a tree node it should hold', {
        details: { level, index: position - 1 },
      })
    }
    hash = nodeHash(left, hash)
    position = (position - 1) / 2
    written.push({ subtree: { level: level + 1, index: position }, hash })
  }
  return written
}

// Verification (RFC 9162 2.1.3.2 and 2.1.4.2)

function checkHashes(proof: readonly Uint8Array[], code: 'PROOF_INVALID'): void {
  if (!Array.isArray(proof) || proof.length > 64) {
    throw new WritError(code, 'A proof is a list of at most 64 hashes')
  }
  for (const hash of proof) {
    if (!(hash instanceof Uint8Array) || hash.length !== TREE_HASH_SIZE) {
      throw new WritError(code, 'A proof hash is not 32 bytes')
    }
  }
}

/** What {@link verifyInclusion} checks. */
export interface InclusionClaim {
  /** Leaf hash ({@link leafHash} of the receipt's token). */
  readonly leaf: Uint8Array
  readonly index: number
  readonly size: number
  readonly proof: readonly Uint8Array[]
  readonly root: Uint8Array
}

/**
 * Checks that a leaf is at `index` in the tree of `size` leaves with this root.
 *
 * @throws WritError `PROOF_INVALID` when it is not (or the input is malformed).
 */
export function verifyInclusion(claim: InclusionClaim): void {
  const { index, size, proof } = claim
  checkHashes(proof, 'PROOF_INVALID')
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    throw new WritError('PROOF_INVALID', 'The leaf index is outside the tree', {
      details: { index, size },
    })
  }
  let fn = index
  let sn = size - 1
  let hash = claim.leaf
  for (const sibling of proof) {
    if (sn === 0) throw proofMismatch(index, size)
    if (fn % 2 === 1 || fn === sn) {
      hash = nodeHash(sibling, hash)
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2
        sn = Math.floor(sn / 2)
      }
    } else {
      hash = nodeHash(hash, sibling)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  if (sn !== 0 || !bytesEqual(hash, claim.root)) throw proofMismatch(index, size)
}

function proofMismatch(index: number, size: number): WritError {
  return new WritError('PROOF_INVALID', 'The inclusion proof does not lead to the root', {
    details: { index, size },
  })
}

/** What {@link verifyConsistency} checks. */
export interface ConsistencyClaim {
  readonly fromSize: number
  readonly fromRoot: Uint8Array
  readonly toSize: number
  readonly toRoot: Uint8Array
  readonly proof: readonly Uint8Array[]
}

/**
 * Checks that the tree of `toSize` leaves extends the tree of `fromSize` leaves: same leaves
 * first, only appended to. Equal sizes need equal roots and an empty proof; size 0 extends
 * to anything with an empty proof.
 *
 * @throws WritError `PROOF_INVALID` for a malformed proof, `CHECKPOINT_ROLLBACK` when
 *   `toSize < fromSize`, `CHECKPOINT_INCONSISTENT` when the trees do not extend each other.
 */
export function verifyConsistency(claim: ConsistencyClaim): void {
  const { fromSize, toSize, proof } = claim
  checkHashes(proof, 'PROOF_INVALID')
  for (const size of [fromSize, toSize]) {
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new WritError('PROOF_INVALID', 'A tree size is not a non-negative integer')
    }
  }
  if (toSize < fromSize) {
    throw new WritError('CHECKPOINT_ROLLBACK', 'The newer tree is smaller than the older one', {
      details: { fromSize, toSize },
    })
  }
  if (fromSize === toSize) {
    if (proof.length !== 0 || !bytesEqual(claim.fromRoot, claim.toRoot)) throw inconsistent(claim)
    return
  }
  if (fromSize === 0) {
    if (proof.length !== 0) throw inconsistent(claim)
    return
  }
  const [fromRoot, toRoot] = consistencyRoots(claim)
  if (!bytesEqual(fromRoot, claim.fromRoot) || !bytesEqual(toRoot, claim.toRoot)) {
    throw inconsistent(claim)
  }
}

/** The two roots a consistency proof leads to (0 < fromSize < toSize). */
function consistencyRoots(claim: ConsistencyClaim): [Uint8Array, Uint8Array] {
  const { fromSize, toSize } = claim
  const path = isPowerOfTwo(fromSize) ? [claim.fromRoot, ...claim.proof] : [...claim.proof]
  if (path.length === 0) throw inconsistent(claim)
  let fn = fromSize - 1
  let sn = toSize - 1
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  let fr = path[0] as Uint8Array
  let sr = fr
  for (const hash of path.slice(1)) {
    if (sn === 0) throw inconsistent(claim)
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(hash, fr)
      sr = nodeHash(hash, sr)
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2
        sn = Math.floor(sn / 2)
      }
    } else {
      sr = nodeHash(sr, hash)
    }
    fn = Math.floor(fn / 2)
    sn = Math.floor(sn / 2)
  }
  if (sn !== 0) throw inconsistent(claim)
  return [fr, sr]
}

function isPowerOfTwo(value: number): boolean {
  let k = 1
  while (k < value) k *= 2
  return k === value
}

function inconsistent(claim: ConsistencyClaim): WritError {
  return new WritError(
    'CHECKPOINT_INCONSISTENT',
    'The newer tree does not extend the older one (or the proof is wrong)',
    { details: { fromSize: claim.fromSize, toSize: claim.toSize } },
  )
}
