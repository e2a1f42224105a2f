/**
 * A receipt names the service it is for (`aud`); a policy that cannot see it cannot
 * keep an action meant for one service from being authorized for another. Conditions
 * read the request's audience as `audience`: a string, or `null` when none is named.
 */
import { compilePolicy, createGate, generateSigningKey } from '@writ/core'
import { describe, expect, it } from 'vitest'

const POLICY = `
writ: 1
id: audiences
rules:
  - id: payments-only
    effect: permit
    actions: [payments.transfer]
    when: audience != null && audience == 'https://pay.example'
  - id: no-audience
    effect: deny
    actions: [payments.refund]
    when: audience == null
  - id: refunds
    effect: permit
    actions: [payments.refund]
    when: audience.startsWith('https://')
`

function gate() {
  return createGate({
    policy: compilePolicy(POLICY),
    keys: generateSigningKey(),
    issuer: 'https://authority.security.test',
  })
}

describe('conditions see the audience of the request', () => {
  it('permits only for the audience the policy names, and signs that audience', async () => {
    const decision = await gate().authorize({
      action: 'payments.transfer',
      args: { amount: 5 },
      audience: 'https://pay.example',
    })
    expect(decision).toMatchObject({ decision: 'PERMIT', rule: 'payments-only' })
    expect(decision.claims.aud).toBe('https://pay.example')
  })

  it('another audience, or none, is not permitted', async () => {
    const other = await gate().authorize({
      action: 'payments.transfer',
      args: { amount: 5 },
      audience: 'https://mail.example',
    })
    expect(other).toMatchObject({ decision: 'SILENCE', reason: 'CONDITION_FALSE' })
    const none = await gate().authorize({ action: 'payments.transfer', args: { amount: 5 } })
    expect(none).toMatchObject({ decision: 'SILENCE', reason: 'CONDITION_FALSE' })
  })

  it('`audience == null` tests for a request that names none', async () => {
    const none = await gate().authorize({ action: 'payments.refund', args: {} })
    expect(none).toMatchObject({ decision: 'DENY', reason: 'RULE_DENY', rule: 'no-audience' })
    const named = await gate().authorize({
      action: 'payments.refund',
      args: {},
      audience: 'https://pay.example',
    })
    expect(named).toMatchObject({ decision: 'PERMIT', rule: 'refunds' })
  })

  it('the policy evaluator reads `audience` from its input, null when absent', () => {
    const policy = compilePolicy(POLICY)
    const input = { action: 'payments.transfer', args: {}, agent: 'bot', context: {}, now: 0 }
    expect(policy.evaluate({ ...input, audience: 'https://pay.example' }).decision).toBe('PERMIT')
    expect(policy.evaluate({ ...input, audience: null }).decision).toBe('SILENCE')
    expect(policy.evaluate(input).decision).toBe('SILENCE')
  })
})
