/**
 * The Merkle trees of the memory store (spec section 12): for each chain, the hash of every
 * complete subtree, level by level, so a proof reads O(log n) of them.
 */
import {
  leafHash,
  leftSiblingsOf,
  type Subtree,
  subtreesAfterAppend,
  WritError,
} from '@writ/verify'
import type { StoredCheckpointNote } from '../types.js'

/** Complete-subtree hashes of every chain, kept in memory. */
export interface MemoryTrees {
  /** Adds the receipt `token` as leaf `seq` of `chainId`'s tree. Synchronous: runs inside an append. */
  append(chainId: string, seq: number, token: string): void
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
    append(chainId, seq, token) {
      let levels = trees.get(chainId)
      if (levels === undefined) {
        levels = []
        trees.set(chainId, levels)
      }
      const tree = levels
      const lefts = leftSiblingsOf(seq).map((subtree) => node(tree, subtree))
      for (const { subtree, hash } of subtreesAfterAppend(seq, leafHash(token), lefts)) {
        tree[subtree.level] ??= { bytes: new Uint8Array(0), count: 0 }
        put(tree[subtree.level] as Level, subtree.index, hash)
      }
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
