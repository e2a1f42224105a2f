import { createKeySet, verifyChain, verifyCheckpoint, verifyReceipt } from '@writ/verify'
import { describe, expect, it } from 'vitest'
import { createKeyRing } from './key-ring.js'
import { generateSigningKey } from './keys.js'
import { createMemoryStore } from './memory-store.js'
import { createTestAsyncSigner } from './testing/async-signer-fixture.js'
import { createPaymentsGate } from './testing/payments-fixture.js'
import type { Store } from './types.js'

const transfer = (amount: number) => ({
  action: 'payments.transfer',
  args: { to: 'bob', amount },
})

async function tokensOf(store: Store, chainId = 'main'): Promise<string[]> {
  const tokens: string[] = []
  for await (const receipt of store.receipts(chainId)) tokens.push(receipt.token)
  return tokens
}

describe('a gate with an asynchronous signer', () => {
  it('signs receipts that verify, in one unbroken chain, under concurrent decisions', async () => {
    const signer = createTestAsyncSigner()
    const store = createMemoryStore()
    const gate = createPaymentsGate({ keys: signer, store })
    const decisions = await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        gate.authorize(transfer(index % 2 === 0 ? 5 : 5000)),
      ),
    )
    expect(decisions.filter((decision) => decision.decision === 'PERMIT')).toHaveLength(20)
    const keys = createKeySet(await gate.keys())
    for (const decision of decisions) {
      await expect(verifyReceipt(decision.receipt, keys)).resolves.toMatchObject({
        claims: { decision: decision.decision },
      })
    }
    const report = await verifyChain(await tokensOf(store), keys)
    expect(report).toMatchObject({ valid: true, size: 40 })
    expect(signer.calls).toBe(40)
  })

  it('keeps the limits: a PERMIT over the limit is signed again as the limit DENY', async () => {
    const signer = createTestAsyncSigner()
    const gate = createPaymentsGate({ keys: signer, dailySpendLimit: 10 })
    const [first, second] = await Promise.all([
      gate.authorize(transfer(6)),
      gate.authorize(transfer(6)),
    ])
    expect(first).toMatchObject({ decision: 'PERMIT' })
    expect(second).toMatchObject({ decision: 'DENY', reason: 'DAILY_SPEND' })
    const report = await verifyChain(await tokensOf(gate.store), gate.verifyKeys())
    expect(report).toMatchObject({ valid: true, size: 2 })
  })

  it.each([['reject'], ['throw'], ['malformed']] as const)(
    'fails closed with SIGNER_UNAVAILABLE when the signer answers %s, and loses nothing',
    async (mode) => {
      const signer = createTestAsyncSigner()
      const gate = createPaymentsGate({ keys: signer })
      await gate.authorize(transfer(5))
      signer.mode = mode
      await expect(gate.authorize(transfer(5))).rejects.toMatchObject({
        code: 'SIGNER_UNAVAILABLE',
      })
      expect(await tokensOf(gate.store)).toHaveLength(1)
      signer.mode = 'sign'
      await expect(gate.authorize(transfer(5))).resolves.toMatchObject({ decision: 'PERMIT' })
      const report = await verifyChain(await tokensOf(gate.store), gate.verifyKeys())
      expect(report).toMatchObject({ valid: true, size: 2 })
    },
  )

  it('fails closed when the signer hangs past the deadline, and a late signature is dropped', async () => {
    const signer = createTestAsyncSigner()
    const gate = createPaymentsGate({ keys: signer, signerTimeoutMs: 300 })
    await gate.authorize(transfer(5))
    signer.mode = 'hang'
    const waiting = await Promise.allSettled(
      [5, 6, 7].map((amount) => gate.authorize(transfer(amount))),
    )
    for (const decision of waiting) {
      expect(decision).toMatchObject({ status: 'rejected', reason: { code: 'SIGNER_UNAVAILABLE' } })
    }
    signer.releaseHanging()
    signer.mode = 'sign'
    await expect(gate.authorize(transfer(8))).resolves.toMatchObject({ decision: 'PERMIT' })
    const tokens = await tokensOf(gate.store)
    expect(tokens).toHaveLength(2)
    expect(await verifyChain(tokens, gate.verifyKeys())).toMatchObject({ valid: true, size: 2 })
  })

  it('signs with a slow signer while earlier appends wait for the store', async () => {
    const signer = createTestAsyncSigner({ delayMs: 2 })
    const gate = createPaymentsGate({ keys: signer })
    const decisions = await Promise.all(
      Array.from({ length: 10 }, () => gate.authorize(transfer(1))),
    )
    expect(decisions.every((decision) => decision.decision === 'PERMIT')).toBe(true)
    expect(await verifyChain(await tokensOf(gate.store), gate.verifyKeys())).toMatchObject({
      valid: true,
      size: 10,
    })
  })

  it('signs checkpoints with the external key', async () => {
    const signer = createTestAsyncSigner()
    const gate = createPaymentsGate({ keys: signer })
    await gate.authorize(transfer(5))
    const checkpoint = await gate.checkpoint()
    await expect(verifyCheckpoint(checkpoint.token, gate.verifyKeys())).resolves.toMatchObject({
      claims: { size: 1 },
    })
  })
})

describe('a key ring with external keys', () => {
  it('rotates to a new external key and keeps the old one published as retired', async () => {
    const first = createTestAsyncSigner()
    const second = createTestAsyncSigner()
    const ring = createKeyRing(first)
    const gate = createPaymentsGate({ keys: ring })
    const before = await gate.authorize(transfer(5))
    expect(() => ring.rotate()).toThrow(expect.objectContaining({ code: 'KEY_INVALID' }))
    ring.rotate({ next: second, graceSeconds: 300 })
    const after = await gate.authorize(transfer(5))
    expect(ring.jwks().keys.map((key) => [key.kid, key.status])).toEqual([
      [first.kid, 'retired'],
      [second.kid, 'active'],
    ])
    const keys = createKeySet(ring.jwks())
    await expect(verifyReceipt(before.receipt, keys)).resolves.toMatchObject({
      header: { kid: first.kid },
    })
    await expect(verifyReceipt(after.receipt, keys)).resolves.toMatchObject({
      header: { kid: second.kid },
    })
    const saved = JSON.parse(JSON.stringify(ring)) as { keys: { d?: string }[] }
    expect(saved.keys.every((key) => key.d === undefined)).toBe(true)
  })

  it('reopens a saved ring with the signer of its active key, and refuses it without', () => {
    const signer = createTestAsyncSigner()
    const retired = { ...generateSigningKey(), status: 'retired' as const }
    const { d: _d, ...retiredPublic } = retired
    const document = { keys: [retiredPublic, signer.publicJwk] }
    expect(() => createKeyRing(document)).toThrow(expect.objectContaining({ code: 'KEY_MISSING' }))
    const ring = createKeyRing(document, { signers: [signer] })
    expect(ring.active.kid).toBe(signer.kid)
    expect(ring.signer(retired.kid)).toBeUndefined()
  })
})
