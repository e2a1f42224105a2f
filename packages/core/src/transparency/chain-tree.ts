/**
 * A chain seen as an RFC 9162 Merkle tree (spec section 12): roots, inclusion proofs and
 * consistency proofs for any size the chain has reached, from the complete-subtree hashes
 * its store keeps.
 */
import {
  consistencyProofFrom,
  inclusionProofFrom,
  type SubtreeReader,
  treeRootFrom,
  WritError,
} from '@writ/verify'
import type { Store } from '../types.js'

/** Proofs about one chain of a store. Sizes are numbers of receipts. */
export interface ChainTree {
  /** Number of receipts in the chain now. */
  size(): Promise<number>
  /** The root hash of the first `size` receipts. */
  root(size: number): Promise<Uint8Array>
  /** The inclusion proof of the receipt with `seq` in the tree of `size` receipts. */
  inclusionProof(seq: number, size: number): Promise<Uint8Array[]>
  /** The consistency proof from the tree of `from` receipts to the tree of `to`. */
  consistencyProof(from: number, to: number): Promise<Uint8Array[]>
}

/**
 * The tree of `chainId` in `store`.
 *
 * @throws WritError `PROOF_INVALID` (from each method) when a size is beyond the chain's
 *   length, or the positions cannot be proved (a seq outside the size, `from > to`).
 */
export function chainTree(store: Store, chainId: string): ChainTree {
  const read: SubtreeReader = (subtrees) => store.treeNodes(chainId, subtrees)
  const size = async () => (await store.head(chainId)).seq
  const within = async (...sizes: number[]) => {
    const length = await size()
    for (const value of sizes) {
      if (!Number.isSafeInteger(value) || value < 0 || value > length) {
        throw new WritError('PROOF_INVALID', 'The chain has not reached that size', {
          details: { chainId, size: value, length },
        })
      }
    }
  }
  return {
    size,
    async root(treeSize) {
      await within(treeSize)
      return treeRootFrom(read, treeSize)
    },
    async inclusionProof(seq, treeSize) {
      await within(treeSize)
      return inclusionProofFrom(read, seq, treeSize)
    },
    async consistencyProof(from, to) {
      await within(to)
      return consistencyProofFrom(read, from, to)
    },
  }
}
