import { describe, expect, it } from 'vitest'
import { asyncCodeOf } from '../test/codes.js'
import {
  buildChain,
  checkpointHeader,
  createTestKey,
  receiptClaims,
  signCheckpoint,
  signJws,
  signReceipt,
} from '../test/helpers.js'
import { verifyChain } from './chain.js'
import { verifyCheckpoint } from './checkpoint.js'
import { tokenDigest } from './digest.js'
import { createKeySet } from './key-set.js'

const key = createTestKey()
const otherKey = createTestKey()
const keys = createKeySet({ keys: [key.jwk] })
const chain = buildChain(key, 10)
const checkpoint = signCheckpoint(key, chain)

async function* slowly(tokens: readonly string[]): AsyncIterable<string> {
  for (const token of tokens) {
    await Promise.resolve()
    yield token
  }
}

describe('verifyChain: valid chains', () => {
  it('verifies a chain with its checkpoint', async () => {
    expect(await verifyChain(chain, keys, { checkpoints: [checkpoint] })).toEqual({
      valid: true,
      chainId: 'chain-1',
      size: 10,
      head: tokenDigest(chain[9]!),
    })
  })

  it('reads async iterables and generators', async () => {
    const report = await verifyChain(slowly(chain), keys, {
      checkpoints: [signCheckpoint(key, chain.slice(0, 4)), checkpoint],
    })
    expect(report.valid).toBe(true)
  })

  it('verifies an empty chain, and one that grew past its checkpoint', async () => {
    expect(await verifyChain([], keys)).toEqual({ valid: true, chainId: null, size: 0, head: null })
    expect(await verifyChain([], keys, { checkpoints: [signCheckpoint(key, [])] })).toMatchObject({
      valid: true,
      chainId: 'chain-1',
    })
    expect(
      (await verifyChain(chain, keys, { checkpoints: [signCheckpoint(key, chain.slice(0, 3))] }))
        .valid,
    ).toBe(true)
  })

  it('keeps memory flat on a long generated chain', async () => {
    // 2 000 receipts generated lazily: the verifier holds only the previous digest.
    const length = 2000
    function* generate(): Iterable<string> {
      let prev: string | null = null
      for (let seq = 0; seq < length; seq++) {
        const token = signReceipt(
          key,
          receiptClaims({ jti: `r-${seq}`, chain: { id: 'chain-1', seq, prev } }),
        )
        prev = tokenDigest(token)
        yield token
      }
    }
    expect(await verifyChain(generate(), keys)).toMatchObject({ valid: true, size: length })
  })
})

describe('verifyChain: tampering names the first bad position', () => {
  it('deleted receipt → CHAIN_GAP', async () => {
    const deleted = [...chain.slice(0, 4), ...chain.slice(5)]
    expect(await verifyChain(deleted, keys)).toMatchObject({
      valid: false,
      code: 'CHAIN_GAP',
      seq: 4,
      verified: 4,
    })
  })

  it('deleted first receipt → CHAIN_GAP at 0', async () => {
    expect(await verifyChain(chain.slice(1), keys)).toMatchObject({
      valid: false,
      code: 'CHAIN_GAP',
      seq: 0,
    })
  })

  it('inserted (duplicated) receipt → CHAIN_PREV_MISMATCH', async () => {
    const inserted = [...chain.slice(0, 6), chain[2]!, ...chain.slice(6)]
    expect(await verifyChain(inserted, keys)).toMatchObject({
      valid: false,
      code: 'CHAIN_PREV_MISMATCH',
      seq: 6,
    })
  })

  it('inserted forged receipt with the right seq but a wrong prev → CHAIN_PREV_MISMATCH', async () => {
    const forged = signReceipt(
      key,
      receiptClaims({
        jti: 'forged',
        chain: { id: 'chain-1', seq: 3, prev: tokenDigest(chain[1]!) },
      }),
    )
    const inserted = [...chain.slice(0, 3), forged, ...chain.slice(3)]
    expect(await verifyChain(inserted, keys)).toMatchObject({
      valid: false,
      code: 'CHAIN_PREV_MISMATCH',
      seq: 3,
    })
  })

  it.each([
    ['two neighbours swapped', 3, 4],
    ['two receipts apart swapped', 2, 6],
  ])(
    'reordered receipts (%s) → CHAIN_PREV_MISMATCH at the first swapped position',
    async (_label, first, second) => {
      const reordered = [...chain]
      ;[reordered[first], reordered[second]] = [reordered[second]!, reordered[first]!]
      expect(await verifyChain(reordered, keys)).toMatchObject({
        valid: false,
        code: 'CHAIN_PREV_MISMATCH',
        seq: first,
        verified: first,
      })
    },
  )

  it('a deleted receipt stays CHAIN_GAP however the rest of the chain reads', async () => {
    const deleted = chain.filter((_, index) => index !== 4)
    expect(await verifyChain(deleted, keys)).toMatchObject({ code: 'CHAIN_GAP', seq: 4 })
    expect(await verifyChain([...deleted, 'not a token'], keys)).toMatchObject({
      code: 'CHAIN_GAP',
      seq: 4,
    })
  })

  it('edited receipt → SIGNATURE_INVALID at its position', async () => {
    const edited = [...chain]
    const [header, , signature] = chain[5]!.split('.')
    const claims = signReceipt(
      key,
      receiptClaims({
        decision: 'PERMIT',
        chain: { id: 'chain-1', seq: 5, prev: tokenDigest(chain[4]!) },
      }),
    ).split('.')[1]
    edited[5] = `${header}.${claims}.${signature}`
    expect(await verifyChain(edited, keys)).toMatchObject({
      valid: false,
      code: 'SIGNATURE_INVALID',
      seq: 5,
      verified: 5,
    })
  })

  it('receipt signed by an untrusted key → KEY_UNKNOWN at its position', async () => {
    const foreign = [...chain]
    foreign[7] = signReceipt(
      otherKey,
      receiptClaims({ chain: { id: 'chain-1', seq: 7, prev: tokenDigest(chain[6]!) } }),
    )
    expect(await verifyChain(foreign, keys)).toMatchObject({
      valid: false,
      code: 'KEY_UNKNOWN',
      seq: 7,
    })
  })

  it('receipt of another chain → CHAIN_ID_MISMATCH', async () => {
    const other = buildChain(key, 5, 'chain-2')
    const mixed = [...chain.slice(0, 3), other[3]!]
    expect(await verifyChain(mixed, keys)).toMatchObject({
      valid: false,
      code: 'CHAIN_ID_MISMATCH',
      seq: 3,
    })
    expect(await verifyChain(other, keys, { chainId: 'chain-1' })).toMatchObject({
      valid: false,
      code: 'CHAIN_ID_MISMATCH',
      seq: 0,
    })
  })

  it('truncated tail → CHECKPOINT_MISMATCH at the first missing position', async () => {
    expect(await verifyChain(chain.slice(0, 7), keys, { checkpoints: [checkpoint] })).toMatchObject(
      {
        valid: false,
        code: 'CHECKPOINT_MISMATCH',
        seq: 7,
        verified: 7,
        checkpoint: 0,
      },
    )
  })

  it('rewritten history with a kept checkpoint → CHECKPOINT_MISMATCH', async () => {
    const kept = signCheckpoint(key, chain.slice(0, 6))
    // The authority re-signs a different history from seq 2 on: internally consistent.
    const altered = buildRewritten()
    expect(await verifyChain(altered, keys)).toMatchObject({ valid: true })
    expect(await verifyChain(altered, keys, { checkpoints: [kept] })).toMatchObject({
      valid: false,
      code: 'CHECKPOINT_MISMATCH',
      seq: 5,
      checkpoint: 0,
    })
  })

  it('old checkpoint contradicted while a newer one vouches for the receipts → CHECKPOINT_ROLLBACK', async () => {
    const kept = signCheckpoint(key, chain.slice(0, 6))
    const altered = buildRewritten()
    const reissued = signCheckpoint(key, altered, { iat: 1_900_000_000 })
    expect(await verifyChain(altered, keys, { checkpoints: [kept, reissued] })).toMatchObject({
      valid: false,
      code: 'CHECKPOINT_ROLLBACK',
      seq: 5,
      checkpoint: 0,
    })
  })

  it('checkpoints that disagree between themselves → CHECKPOINT_ROLLBACK', async () => {
    const altered = buildRewritten()
    const forkA = signCheckpoint(key, chain)
    const forkB = signCheckpoint(key, altered)
    expect(await verifyChain(chain, keys, { checkpoints: [forkA, forkB] })).toMatchObject({
      valid: false,
      code: 'CHECKPOINT_ROLLBACK',
      seq: null,
    })
    // newer (by iat) but smaller: the chain was rolled back
    const big = signCheckpoint(key, chain, { iat: 1_800_000_100 })
    const smallerLater = signCheckpoint(key, chain.slice(0, 4), { iat: 1_800_000_200 })
    expect(
      await verifyChain(chain.slice(0, 4), keys, { checkpoints: [big, smallerLater] }),
    ).toMatchObject({
      valid: false,
      code: 'CHECKPOINT_ROLLBACK',
      checkpoint: 1,
    })
  })

  it('a checkpoint that does not verify → CHECKPOINT_INVALID', async () => {
    const foreign = signCheckpoint(otherKey, chain)
    expect(await verifyChain(chain, keys, { checkpoints: [checkpoint, foreign] })).toMatchObject({
      valid: false,
      code: 'CHECKPOINT_INVALID',
      checkpoint: 1,
    })
    expect(await verifyChain(chain, keys, { checkpoints: [chain[0]!] })).toMatchObject({
      code: 'CHECKPOINT_INVALID',
    })
  })

  it('a checkpoint of another chain → CHAIN_ID_MISMATCH', async () => {
    const other = signCheckpoint(key, chain, { chain: 'chain-2' })
    expect(
      await verifyChain(chain, keys, { checkpoints: [other], chainId: 'chain-1' }),
    ).toMatchObject({
      valid: false,
      code: 'CHAIN_ID_MISMATCH',
      seq: null,
    })
  })

  it('a non-string item → MALFORMED at its position', async () => {
    expect(await verifyChain([chain[0]!, 42 as unknown as string], keys)).toMatchObject({
      valid: false,
      code: 'MALFORMED',
      seq: 1,
    })
  })
})

describe('verifyCheckpoint', () => {
  it('verifies and checks the claims', async () => {
    expect((await verifyCheckpoint(checkpoint, keys)).claims.size).toBe(10)
    const badHead = signJws(key, checkpointHeader(key), {
      v: 1,
      iss: 'a',
      chain: 'c',
      size: 0,
      head: tokenDigest('x'),
      iat: 1,
    })
    expect(await asyncCodeOf(() => verifyCheckpoint(badHead, keys))).toBe('CLAIMS_INVALID')
    const nullHead = signJws(key, checkpointHeader(key), {
      v: 1,
      iss: 'a',
      chain: 'c',
      size: 2,
      head: null,
      iat: 1,
    })
    expect(await asyncCodeOf(() => verifyCheckpoint(nullHead, keys))).toBe('CLAIMS_INVALID')
    const extra = signJws(key, checkpointHeader(key), {
      v: 1,
      iss: 'a',
      chain: 'c',
      size: 0,
      head: null,
      iat: 1,
      note: 'x',
    })
    expect(await asyncCodeOf(() => verifyCheckpoint(extra, keys))).toBe('CLAIMS_INVALID')
    expect(await asyncCodeOf(() => verifyCheckpoint(chain[0]!, keys))).toBe('HEADER_INVALID')
  })
})

function buildRewritten(): string[] {
  // Same first two receipts, then a different history from seq 2 (other jti values).
  const tail: string[] = []
  let prev: string | null = tokenDigest(chain[1]!)
  for (let seq = 2; seq < 10; seq++) {
    const token = signReceipt(
      key,
      receiptClaims({ jti: `rewritten-${seq}`, chain: { id: 'chain-1', seq, prev } }),
    )
    tail.push(token)
    prev = tokenDigest(token)
  }
  return [...chain.slice(0, 2), ...tail]
}
