/**
 * The Merkle trees of the memory store (spec section 12): for each chain, the hash of every
 * complete subtree, level by level, so a proof reads O(log n) of them.
 */
import { type Subtree, WritError } from '@writ/verify'
import { sha256 } from '@writ/verify/internal'
import type { StoredCheckpointNote } from '../types.js'

/** Complete-subtree hashes of every chain, kept in memory. */
export interface MemoryTrees {
  /** Adds leaf `seq` of `chainId`'s tree, given its leaf hash. Synchronous: runs inside an append. */
  append(chainId: string, seq: number, leaf: Uint8Array): void
  /** The stored hashes of `subtrees`, in order. */
  read(chainId: string, subtrees: readonly Subtree[]): Uint8Array[]
  /** Keeps a checkpoint note, replacing the one of the same chain and size. */
  putNote(note: StoredCheckpointNote): void
  /** The note of `chainId` with the largest size. */
  latestNote(chainId: string): StoredCheckpointNote | undefined
}

/**
 * One level of a tree: its complete-subtree hashes back to back in one growing buffer, so a
 * long chain costs 32 bytes a node rather than an object each.
 */
interface Level {
  bytes: Uint8Array
  count: number
}

function put(level: Level, index: number, hash: Uint8Array): void {
  if ((index + 1) * 32 > level.bytes.length) {
    const grown = new Uint8Array(Math.max(1024, level.bytes.length * 2))
    grown.set(level.bytes)
    level.bytes = grown
  }
  level.bytes.set(hash, index * 32)
  level.count = Math.max(level.count, index + 1)
}

// The input of one interior node hash, 0x01 || left || right (RFC 9162), reused: appends
// are synchronous, so no two use it at once.
const nodeInput = new Uint8Array(65)
nodeInput[0] = 1

/** The interior node over the hash at `left` in `bytes` and `right`, without a copy of either. */
function parentOf(bytes: Uint8Array, left: number, right: Uint8Array): Uint8Array {
  for (let index = 0; index < 32; index++) {
    nodeInput[1 + index] = bytes[left + index] as number
    nodeInput[33 + index] = right[index] as number
  }
  return sha256(nodeInput)
}

/**
 * Writes leaf `seq` and each parent it completes (RFC 9162: a parent is complete once its
 * right child is), reading each left sibling in place rather than as a copy. Every left
 * sibling is checked before anything is written, so a tree missing one is left unchanged.
 */
function appendLeaf(levels: Level[], seq: number, leaf: Uint8Array): void {
  for (let level = 0, position = seq; position % 2 === 1; level++) {
    if (position - 1 >= (levels[level]?.count ?? 0)) {
      throw new WritError('STORE_UNAVAILABLE', 'The tree has no such node', {
        details: { level, index: position - 1 },
      })
    }
    position = (position - 1) / 2
  }
  let hash = leaf
  let position = seq
  for (let level = 0; ; level++) {
    const row = levels[level] ?? { bytes: new Uint8Array(0), count: 0 }
    levels[level] = row
    put(row, position, hash)
    if (position % 2 === 0) return
    const left = (position - 1) * 32
    hash = parentOf(row.bytes, left, hash)
    position = (position - 1) / 2
  }
}

/** Creates empty trees. */
export function createMemoryTrees(): MemoryTrees {
  const trees = new Map<string, Level[]>()
  const notes = new Map<string, StoredCheckpointNote>()
  const node = (levels: Level[] | undefined, subtree: Subtree): Uint8Array => {
    const level = levels?.[subtree.level]
    if (level === undefined || subtree.index >= level.count) {
      throw new WritError('STORE_UNAVAILABLE', 'The tree has no such node', {
        details: { level: subtree.level, index: subtree.index },
      })
    }
    return level.bytes.slice(subtree.index * 32, subtree.index * 32 + 32)
  }
  return {
    append(chainId, seq, leaf) {
      let levels = trees.get(chainId)
      if (levels === undefined) {
        levels = []
        trees.set(chainId, levels)
      }
      appendLeaf(levels, seq, leaf)
    },
    read(chainId, subtrees) {
      const levels = trees.get(chainId)
      return subtrees.map((subtree) => node(levels, subtree))
    },
    putNote(note) {
      const latest = notes.get(note.chainId)
      if (latest === undefined || note.size >= latest.size) {
        notes.set(note.chainId, Object.freeze({ ...note }))
      }
    },
    latestNote: (chainId) => notes.get(chainId),
  }
}
