import { describe, expect, it } from 'vitest'
import { createPaymentsGate, paymentsAgent, paymentsPolicyTextWith } from './payments-fixture.js'

describe('payments fixture', () => {
  it.each([
    ['payments.transfer', { to: 'bob', amount: 1000 }, 'PERMIT', 'RULE_PERMIT'],
    ['payments.transfer', { to: 'bob', amount: 1001 }, 'SILENCE', 'CONDITION_FALSE'],
    ['payments.transfer', { to: 'mallory', amount: 5 }, 'DENY', 'SANCTIONED_PAYEE'],
    ['exports.all', {}, 'DENY', 'EXPORTS_FORBIDDEN'],
    ['accounts.lookup', { id: 1 }, 'PERMIT', 'RULE_PERMIT'],
    ['reports.read', {}, 'PERMIT', 'RULE_PERMIT'],
    ['files.delete', {}, 'SILENCE', 'NO_APPLICABLE_RULE'],
  ])('decides %s %j as %s', async (action, args, decision, reason) => {
    const result = await createPaymentsGate().authorize({ action, args })
    expect(result).toMatchObject({ decision, reason })
    expect(result.claims.sub).toBe(paymentsAgent)
  })

  it('reads the arguments from the HTTP body when asked', async () => {
    const gate = createPaymentsGate({ argumentsAt: 'args.body' })
    const decision = await gate.authorize({
      action: 'payments.transfer',
      args: { body: { to: 'bob', amount: 5 } },
    })
    expect(decision.decision).toBe('PERMIT')
  })

  it('adds the daily spend limit only when asked', async () => {
    expect(paymentsPolicyTextWith()).not.toContain('limits:')
    const gate = createPaymentsGate({ dailySpendLimit: 10 })
    const transfer = { action: 'payments.transfer', args: { to: 'bob', amount: 6 } }
    expect((await gate.authorize(transfer)).decision).toBe('PERMIT')
    expect(await gate.authorize(transfer)).toMatchObject({
      decision: 'DENY',
      reason: 'DAILY_SPEND',
    })
  })
})
