import { createKeySet, verifyReceipt } from '@writ/verify'
import { describe, expect, it } from 'vitest'
import { createPaymentsGate } from './testing/payments-fixture.js'

const digest = `sha256:${'cd'.repeat(32)}` as const

describe('gate: refs', () => {
  it('signs the named digests into the receipt, for every decision', async () => {
    const gate = createPaymentsGate()
    for (const amount of [10, 5_000_000]) {
      const decision = await gate.authorize({
        action: 'payments.transfer',
        args: { to: 'alice', amount },
        refs: { 'mcp.tool': digest },
      })
      const verified = await verifyReceipt(decision.receipt, createKeySet(await gate.keys()))
      expect(verified.claims.refs).toEqual({ 'mcp.tool': digest })
    }
  })

  it('leaves the claim out when the request names none', async () => {
    const gate = createPaymentsGate()
    const decision = await gate.authorize({
      action: 'payments.transfer',
      args: { to: 'alice', amount: 10 },
    })
    expect(decision.decision).toBe('PERMIT')
    expect(Object.hasOwn(decision.claims, 'refs')).toBe(false)
  })

  it.each<[string, unknown]>([
    ['not a digest', { 'mcp.tool': 'sha256:nope' }],
    ['a forbidden key', JSON.parse(`{"__proto__":"${digest}"}`)],
    ['empty', {}],
    ['an array', [digest]],
  ])('refuses refs that are %s as input (DENY INPUT_INVALID)', async (_name, refs) => {
    const gate = createPaymentsGate()
    const decision = await gate.authorize({
      action: 'payments.transfer',
      args: { to: 'alice', amount: 10 },
      refs: refs as Record<string, `sha256:${string}`>,
    })
    expect(decision.decision).toBe('DENY')
    expect(decision.reason).toBe('INPUT_INVALID')
    expect(Object.hasOwn(decision.claims, 'refs')).toBe(false)
  })
})
