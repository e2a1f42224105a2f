import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { sha256 } from '../digest.js'
import { bytesEqual, bytesToHex, hexToBytes } from '../encoding.js'
import {
  consistencyProofFrom,
  EMPTY_TREE_ROOT,
  inclusionProofFrom,
  leafHash,
  leftSiblingsOf,
  nodeHash,
  type Subtree,
  subtreesAfterAppend,
  treeRootFrom,
  verifyConsistency,
  verifyInclusion,
} from './merkle.js'

// The RFC 9162 section 2.1 definitions, written as directly as possible, as the reference
// (over ranges of one list of leaves, with the hash of each range remembered).
function k(n: number): number {
  let value = 1
  while (value * 2 < n) value *= 2
  return value
}
const remembered = new Map<string, Uint8Array>()
function mth(leaves: Uint8Array[], start = 0, end = leaves.length): Uint8Array {
  if (end === start) return sha256(new Uint8Array(0))
  if (end - start === 1) return leaves[start]!
  const key = `${start}-${end}`
  let hash = remembered.get(key)
  if (hash === undefined) {
    const split = start + k(end - start)
    hash = nodeHash(mth(leaves, start, split), mth(leaves, split, end))
    remembered.set(key, hash)
  }
  return hash
}
function path(m: number, leaves: Uint8Array[], start = 0, end = leaves.length): Uint8Array[] {
  if (end - start <= 1) return []
  const split = start + k(end - start)
  return m < split - start
    ? [...path(m, leaves, start, split), mth(leaves, split, end)]
    : [...path(m - (split - start), leaves, split, end), mth(leaves, start, split)]
}
function subproof(
  m: number,
  leaves: Uint8Array[],
  whole: boolean,
  start = 0,
  end = leaves.length,
): Uint8Array[] {
  if (m === end - start) return whole ? [] : [mth(leaves, start, end)]
  const split = start + k(end - start)
  return m <= split - start
    ? [...subproof(m, leaves, whole, start, split), mth(leaves, split, end)]
    : [...subproof(m - (split - start), leaves, false, split, end), mth(leaves, start, split)]
}

/** A tree kept the way a store keeps it: the hash of every complete subtree. */
function storedTree(count: number) {
  const leaves: Uint8Array[] = []
  const nodes = new Map<string, Uint8Array>()
  const read = (subtrees: readonly Subtree[]) =>
    subtrees.map((subtree) => nodes.get(`${subtree.level}/${subtree.index}`)!)
  for (let index = 0; index < count; index++) {
    const leaf = leafHash(`token-${index}`)
    leaves.push(leaf)
    const lefts = read(leftSiblingsOf(index))
    for (const { subtree, hash } of subtreesAfterAppend(index, leaf, lefts)) {
      nodes.set(`${subtree.level}/${subtree.index}`, hash)
    }
  }
  return { leaves, read, nodes }
}

const tree = storedTree(300)
const hex = (list: Uint8Array[]) => list.map(bytesToHex)
const sameHashes = (a: readonly Uint8Array[], b: readonly Uint8Array[]) =>
  a.length === b.length && a.every((hash, index) => bytesEqual(hash, b[index]!))

function flipBit(bytes: Uint8Array, bit: number): Uint8Array {
  const copy = Uint8Array.from(bytes)
  copy[bit >> 3]! ^= 1 << (bit & 7)
  return copy
}

describe('RFC 9162 trees from stored subtrees', () => {
  it('hashes the empty tree and a leaf as RFC 9162 says', async () => {
    expect(bytesToHex(EMPTY_TREE_ROOT)).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    )
    expect(bytesToHex(leafHash(''))).toBe(
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    )
    await expect(treeRootFrom(tree.read, 0)).resolves.toEqual(EMPTY_TREE_ROOT)
  })

  it('hashes a token string exactly as its UTF-8 bytes behind the 0x00 prefix', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        const bytes = new TextEncoder().encode(text)
        const prefixed = new Uint8Array(bytes.length + 1)
        prefixed.set(bytes, 1)
        expect(bytesToHex(leafHash(text))).toBe(bytesToHex(sha256(prefixed)))
        expect(bytesToHex(leafHash(text))).toBe(bytesToHex(leafHash(bytes)))
      }),
    )
  })

  it('keeps about two nodes per leaf', () => {
    expect(tree.nodes.size).toBeLessThan(2 * 300)
  })

  it('gives the reference root, inclusion and consistency proofs for every size 1..300', async () => {
    for (let size = 1; size <= 300; size++) {
      const leaves = tree.leaves.slice(0, size)
      const root = await treeRootFrom(tree.read, size)
      expect(bytesToHex(root)).toBe(bytesToHex(mth(leaves)))
      for (let index = 0; index < size; index++) {
        const proof = await inclusionProofFrom(tree.read, index, size)
        expect(sameHashes(proof, path(index, leaves))).toBe(true)
        verifyInclusion({ leaf: leaves[index]!, index, size, proof, root })
      }
      for (let from = 1; from <= size; from++) {
        const proof = await consistencyProofFrom(tree.read, from, size)
        expect(sameHashes(proof, from === size ? [] : subproof(from, leaves, true))).toBe(true)
        const fromRoot = mth(tree.leaves.slice(0, from))
        verifyConsistency({ fromSize: from, fromRoot, toSize: size, toRoot: root, proof })
      }
    }
  }, 300_000)

  it('refuses every single-bit change of an inclusion proof, its leaf or its root', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 1, max: 300 })
          .chain((size) =>
            fc.tuple(fc.constant(size), fc.integer({ min: 0, max: size - 1 }), fc.nat()),
          ),
        async ([size, index, pick]) => {
          const root = mth(tree.leaves.slice(0, size))
          const proof = await inclusionProofFrom(tree.read, index, size)
          const parts = [tree.leaves[index]!, root, ...proof]
          const part = pick % parts.length
          const bit = Math.floor(pick / parts.length) % 256
          const changed = parts.map((bytes, at) => (at === part ? flipBit(bytes, bit) : bytes))
          const [leaf, badRoot, ...badProof] = changed as [Uint8Array, Uint8Array, ...Uint8Array[]]
          expect(() =>
            verifyInclusion({ leaf, index, size, proof: badProof, root: badRoot }),
          ).toThrow(expect.objectContaining({ code: 'PROOF_INVALID' }))
        },
      ),
      { numRuns: 500 },
    )
  })

  it('refuses every single-bit change of a consistency proof or its roots', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .integer({ min: 2, max: 300 })
          .chain((size) =>
            fc.tuple(fc.integer({ min: 1, max: size - 1 }), fc.constant(size), fc.nat()),
          ),
        async ([from, to, pick]) => {
          const fromRoot = mth(tree.leaves.slice(0, from))
          const toRoot = mth(tree.leaves.slice(0, to))
          const proof = await consistencyProofFrom(tree.read, from, to)
          const parts = [fromRoot, toRoot, ...proof]
          const part = pick % parts.length
          const bit = Math.floor(pick / parts.length) % 256
          const changed = parts.map((bytes, at) => (at === part ? flipBit(bytes, bit) : bytes))
          const [a, b, ...rest] = changed as [Uint8Array, Uint8Array, ...Uint8Array[]]
          expect(() =>
            verifyConsistency({ fromSize: from, fromRoot: a, toSize: to, toRoot: b, proof: rest }),
          ).toThrow(expect.objectContaining({ code: 'CHECKPOINT_INCONSISTENT' }))
        },
      ),
      { numRuns: 500 },
    )
  })

  it('refuses a proof for the wrong index, and a dropped or added hash', async () => {
    const size = 77
    const root = mth(tree.leaves.slice(0, size))
    const proof = await inclusionProofFrom(tree.read, 10, size)
    const leaf = tree.leaves[10]!
    for (const claim of [
      { index: 11, size, proof },
      { index: 10, size, proof: proof.slice(1) },
      { index: 10, size, proof: [...proof, root] },
      { index: 77, size, proof },
    ]) {
      expect(() => verifyInclusion({ ...claim, leaf, root })).toThrow(
        expect.objectContaining({ code: 'PROOF_INVALID' }),
      )
    }
  })

  it('names a rollback and a fork of one size apart from a bad proof', () => {
    const a = mth(tree.leaves.slice(0, 5))
    const b = mth(tree.leaves.slice(0, 6))
    expect(() =>
      verifyConsistency({ fromSize: 6, fromRoot: b, toSize: 5, toRoot: a, proof: [] }),
    ).toThrow(expect.objectContaining({ code: 'CHECKPOINT_ROLLBACK' }))
    expect(() =>
      verifyConsistency({ fromSize: 5, fromRoot: a, toSize: 5, toRoot: b, proof: [] }),
    ).toThrow(expect.objectContaining({ code: 'CHECKPOINT_INCONSISTENT' }))
    expect(() =>
      verifyConsistency({
        fromSize: 0,
        fromRoot: EMPTY_TREE_ROOT,
        toSize: 5,
        toRoot: a,
        proof: [a],
      }),
    ).toThrow(expect.objectContaining({ code: 'CHECKPOINT_INCONSISTENT' }))
    expect(() =>
      verifyInclusion({ leaf: a, index: 0, size: 1, proof: [new Uint8Array(31)], root: a }),
    ).toThrow(expect.objectContaining({ code: 'PROOF_INVALID' }))
  })
})

describe('the RFC 6962 reference tree (the test data Certificate Transparency logs share)', () => {
  const inputs = [
    '',
    '00',
    '10',
    '2021',
    '3031',
    '40414243',
    '5051525354555657',
    '606162636465666768696a6b6c6d6e6f',
  ]
  const roots = [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
    '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
    'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
    '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
  ]
  const nodes = new Map<string, Uint8Array>()
  const read = (subtrees: readonly Subtree[]) =>
    subtrees.map((s) => nodes.get(`${s.level}/${s.index}`)!)
  inputs.forEach((input, index) => {
    const lefts = read(leftSiblingsOf(index))
    for (const { subtree, hash } of subtreesAfterAppend(
      index,
      leafHash(hexToBytes(input)),
      lefts,
    )) {
      nodes.set(`${subtree.level}/${subtree.index}`, hash)
    }
  })

  it('gives the published root of every size 1 to 8', async () => {
    for (let size = 1; size <= 8; size++) {
      expect(bytesToHex(await treeRootFrom(read, size))).toBe(roots[size - 1])
    }
  })

  it('gives the published consistency proof from 6 to 8', async () => {
    expect(hex(await consistencyProofFrom(read, 6, 8))).toEqual([
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ])
  })
})
