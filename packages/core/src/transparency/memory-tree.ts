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

/** Creates empty trees; levels[level][index] is a complete subtree's hash. */
export function createMemoryTrees(): MemoryTrees {
  const trees = new Map<string, Uint8Array[][]>()
  const notes = new Map<string, StoredCheckpointNote>()
  const node = (levels: Uint8Array[][] | undefined, subtree: Subtree): Uint8Array => {
    const hash = levels?.[subtree.level]?.[subtree.index]
    if (hash === undefined) {
      throw new WritError('STORE_UNAVAILABLE', 'The tree has no such node', {
        details: { level: subtree.level, index: subtree.index },
      })
    }
    return hash
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
        const level = tree[subtree.level] ?? []
        tree[subtree.level] = level
        level[subtree.index] = hash
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
