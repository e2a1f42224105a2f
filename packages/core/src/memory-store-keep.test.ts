import { leafHash, tokenDigest, verifyInclusion, WritError } from '@writ/verify'
import { describe, expect, it } from 'vitest'
import { createGate } from './gate.js'
import { generateSigningKey } from './keys.js'
import { createMemoryStore } from './memory-store.js'
import { compilePolicy } from './policy/compile-policy.js'
import { chainTree } from './transparency/chain-tree.js'

const policy = compilePolicy(
  `writ: 1
id: keep
rules:
  - id: small
    effect: permit
    actions: [pay]
    when: args.amount <= 10
`,
  { source: 'keep.yaml' },
)

const codeOf = async (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (WritError.isInstance(error) ? error.code : error),
  )

async function decide(count: number, keep: number) {
  const store = createMemoryStore({ keep })
  const gate = createGate({ policy, keys: generateSigningKey(), issuer: 'keep-test', store })
  const tokens: string[] = []
  const jtis: string[] = []
  for (let index = 0; index < count; index++) {
    const decision = await gate.authorize({ action: 'pay', args: { amount: index % 20 } })
    tokens.push(decision.receipt)
    jtis.push(decision.claims.jti)
  }
  return { store, gate, tokens, jtis }
}

describe('memory store with keep', () => {
  it('drops old receipts from memory but never from the chain or its Merkle tree', async () => {
    // About a thousand receipts fill a block; 2,500 make the store drop at least one.
    const { store, gate, tokens, jtis } = await decide(2500, 1)
    const head = await store.head('main')
    expect(head.seq).toBe(2500)
    expect(head.prev).toBe(tokenDigest(tokens[2499] as string))
    // The oldest receipt is gone from memory, by jti and by range, and says so.
    expect(await store.receipt(jtis[0] as string)).toBeUndefined()
    expect(
      await codeOf(
        (async () => {
          for await (const _ of store.receipts('main')) break
        })(),
      ),
    ).toBe('STORE_UNAVAILABLE')
    // The newest ones are still read, linked one to the next.
    const newest = await store.receipt(jtis[2499] as string)
    expect(newest?.token).toBe(tokens[2499])
    const kept: string[] = []
    for await (const receipt of store.receipts('main', { fromSeq: 2400 })) kept.push(receipt.token)
    expect(kept).toEqual(tokens.slice(2400))
    // A checkpoint covers all 2,500, and receipt 0 is still proved in its tree.
    const checkpoint = await gate.checkpoint()
    expect(checkpoint.size).toBe(2500)
    const tree = chainTree(store, 'main')
    const root = await tree.root(2500)
    const proof = await tree.inclusionProof(0, 2500)
    expect(() =>
      verifyInclusion({ leaf: leafHash(tokens[0] as string), index: 0, size: 2500, proof, root }),
    ).not.toThrow()
    // A swapped leaf does not prove.
    expect(() =>
      verifyInclusion({ leaf: leafHash(tokens[1] as string), index: 0, size: 2500, proof, root }),
    ).toThrow()
  })

  it('answers queries from the receipts it still holds', async () => {
    const { store, tokens } = await decide(2500, 1)
    const page = await store.queryReceipts?.({ chain: 'main', filter: {}, limit: 5000 })
    expect(page?.length).toBeGreaterThan(0)
    expect(page?.length).toBeLessThan(2500)
    expect(page?.[0]?.token).toBe(tokens[2499])
  })

  it('keeps every receipt without keep', async () => {
    const store = createMemoryStore()
    const gate = createGate({ policy, keys: generateSigningKey(), issuer: 'keep-test', store })
    const first = await gate.authorize({ action: 'pay', args: { amount: 1 } })
    for (let index = 0; index < 2499; index++)
      await gate.authorize({ action: 'pay', args: { amount: 1 } })
    expect((await store.receipt(first.claims.jti))?.token).toBe(first.receipt)
  })

  it.each([0, -1, Number.NaN, '10'])('refuses keep %s with GATE_ERROR', (keep) => {
    let caught: unknown
    try {
      createMemoryStore({ keep: keep as number })
    } catch (error) {
      caught = error
    }
    expect(WritError.isInstance(caught) && caught.code).toBe('GATE_ERROR')
  })
})
