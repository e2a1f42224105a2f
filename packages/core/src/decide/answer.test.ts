import { describe, expect, it } from 'vitest'
import { thrownCode } from '../../test/support.js'
import { issuedPermits } from '../gate-helpers.js'
import { createKeyRing } from '../key-ring.js'
import { generateSigningKey } from '../keys.js'
import { compilePolicy } from '../policy/index.js'
import { paymentsPolicyText } from '../testing/payments-fixture.js'
import { answerOf } from './answer.js'
import { draftReceipt, issueReceipt } from './issue-receipt.js'
import { normalizeRequest } from './normalize-request.js'
import type { Outcome } from './outcome.js'

const signer = createKeyRing(generateSigningKey()).active
const settings = { defaultAgent: 'a', jsonLimits: undefined, nextId: () => 'id' }
const permit: Outcome = { decision: 'PERMIT', reason: 'RULE_PERMIT', rule: 'small-transfers' }
const deny: Outcome = { decision: 'DENY', reason: 'INPUT_INVALID', rule: null }

function stored(request: ReturnType<typeof normalizeRequest>, outcome: Outcome) {
  const draft = draftReceipt(request, {
    issuer: 'https://writ.test',
    jti: 'j',
    iat: 1_700_000_000,
    ttlSeconds: 60,
    policy: compilePolicy(paymentsPolicyText),
  })
  const { token, claims } = issueReceipt(
    draft,
    outcome,
    { chainId: 'c', seq: 0, prev: null },
    signer,
  )
  return { token, claims }
}

describe('answerOf', () => {
  it('answers a stored PERMIT with the bound arguments, frozen and vouched for', () => {
    const request = normalizeRequest({ action: 'payments.transfer', args: { amount: 1 } }, settings)
    const decision = answerOf(stored(request, permit), permit, request)
    expect(decision).toMatchObject({
      decision: 'PERMIT',
      rule: 'small-transfers',
      args: { amount: 1 },
    })
    expect(Object.isFrozen(decision)).toBe(true)
    expect(issuedPermits.has(decision)).toBe(true)
  })

  it('answers a refusal with the input problem, frozen and not vouched for', () => {
    const request = normalizeRequest({ action: 'a.b', args: {}, agent: 1 }, settings)
    const decision = answerOf(stored(request, deny), deny, request)
    expect(decision).toMatchObject({
      decision: 'DENY',
      reason: 'INPUT_INVALID',
      problem: { path: 'agent' },
    })
    expect(Object.isFrozen(decision)).toBe(true)
    expect(issuedPermits.has(decision)).toBe(false)
  })

  it('refuses a stored PERMIT the gate did not sign as one', () => {
    const request = normalizeRequest({ action: 'payments.transfer', args: { amount: 1 } }, settings)
    expect(thrownCode(() => answerOf(stored(request, permit), deny, request))).toBe('GATE_ERROR')
  })
})
