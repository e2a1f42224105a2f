/**
 * The Merkle-tree part of the store conformance suite (spec section 12): every store keeps
 * complete-subtree hashes with each append, so roots and proofs match RFC 9162 for every
 * size the chain reached, and keeps checkpoint notes.
 */
import {
  EMPTY_TREE_ROOT,
  leafHash,
  nodeHash,
  verifyConsistency,
  verifyInclusion,
} from '@writ/verify'
import { bytesToHex } from '@writ/verify/internal'
import { expect, it } from 'vitest'
import { chainTree } from '../transparency/chain-tree.js'
import type { AppendContext, IssuedReceipt, Store } from '../types.js'

type WithStore = (test: (store: Store) => Promise<void>) => Promise<void>
type Issuer = () => (context: AppendContext) => IssuedReceipt

/** RFC 9162 MTH over leaf hashes, as written in the RFC: the reference the stores must match. */
function referenceRoot(leaves: readonly Uint8Array[]): Uint8Array {
  if (leaves.length === 0) return EMPTY_TREE_ROOT
  if (leaves.length === 1) return leaves[0] as Uint8Array
  let split = 1
  while (split * 2 < leaves.length) split *= 2
  return nodeHash(referenceRoot(leaves.slice(0, split)), referenceRoot(leaves.slice(split)))
}

async function tokensOf(store: Store, chainId: string): Promise<string[]> {
  const tokens: string[] = []
  for await (const receipt of store.receipts(chainId)) tokens.push(receipt.token)
  return tokens
}

/** Every root, and an inclusion and a consistency proof, for every size of one chain. */
async function checkEverySize(store: Store, chainId: string): Promise<void> {
  const leaves = (await tokensOf(store, chainId)).map((token) => leafHash(token))
  const tree = chainTree(store, chainId)
  expect(await tree.size()).toBe(leaves.length)
  for (let size = 1; size <= leaves.length; size++) {
    const root = await tree.root(size)
    expect(bytesToHex(root)).toBe(bytesToHex(referenceRoot(leaves.slice(0, size))))
    for (const seq of new Set([0, size >> 1, size - 1])) {
      const proof = await tree.inclusionProof(seq, size)
      verifyInclusion({ leaf: leaves[seq] as Uint8Array, index: seq, size, proof, root })
    }
    const from = Math.max(1, Math.floor(size / 3))
    verifyConsistency({
      fromSize: from,
      fromRoot: referenceRoot(leaves.slice(0, from)),
      toSize: size,
      toRoot: root,
      proof: await tree.consistencyProof(from, size),
    })
  }
}

/** Registers the tree tests; `issue` builds an issuer that signs a real receipt. */
export function describeTreeConformance(withStore: WithStore, issue: Issuer): void {
  it('keeps the RFC 9162 tree of each chain: every root and proof, for every size', () =>
    withStore(async (store) => {
      await Promise.all(
        Array.from({ length: 37 }, (_, index) =>
          store.append(index % 3 === 0 ? 'other' : 'main', { now: 1000 + index }, issue()),
        ),
      )
      const failing = () => {
        throw new Error('the issuer fails')
      }
      await expect(store.append('main', { now: 2000 }, failing)).rejects.toThrow()
      await store.append('main', { now: 2001 }, issue())
      for (const chainId of ['main', 'other']) await checkEverySize(store, chainId)
    }))

  it('refuses proofs beyond the chain (PROOF_INVALID)', () =>
    withStore(async (store) => {
      await store.append('main', { now: 1000 }, issue())
      await store.append('main', { now: 1001 }, issue())
      const tree = chainTree(store, 'main')
      await expect(tree.root(3)).rejects.toMatchObject({ code: 'PROOF_INVALID' })
      await expect(tree.inclusionProof(2, 2)).rejects.toMatchObject({ code: 'PROOF_INVALID' })
      await expect(tree.consistencyProof(2, 1)).rejects.toMatchObject({ code: 'PROOF_INVALID' })
      await expect(chainTree(store, 'none').inclusionProof(0, 1)).rejects.toMatchObject({
        code: 'PROOF_INVALID',
      })
    }))

  it('keeps the checkpoint note of the largest size, replaced by one with more cosignatures', () =>
    withStore(async (store) => {
      expect(await store.latestCheckpointNote('main')).toBeUndefined()
      await store.putCheckpointNote({ chainId: 'main', size: 5, note: 'five\n' })
      await store.putCheckpointNote({ chainId: 'main', size: 3, note: 'three\n' })
      expect(await store.latestCheckpointNote('main')).toEqual({
        chainId: 'main',
        size: 5,
        note: 'five\n',
      })
      await store.putCheckpointNote({ chainId: 'main', size: 5, note: 'five, cosigned\n' })
      expect((await store.latestCheckpointNote('main'))?.note).toBe('five, cosigned\n')
      expect(await store.latestCheckpointNote('other')).toBeUndefined()
    }))
}
