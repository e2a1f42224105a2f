import { describe, expect, it } from 'vitest'
import { compilePolicy } from '../policy/index.js'
import { paymentsPolicyTextWith } from '../testing/payments-fixture.js'
import { checkEvaluation, evaluateStep } from './evaluate-step.js'
import { normalizeRequest } from './normalize-request.js'

const policy = compilePolicy(paymentsPolicyTextWith({ dailySpendLimit: 100 }))
const settings = { defaultAgent: 'agent-1', jsonLimits: undefined, nextId: () => 'id' }
const normalized = (request: unknown) => normalizeRequest(request, settings)
const transfer = (args: unknown) =>
  evaluateStep(policy, normalized({ action: 'payments.transfer', args }), 1_700_000_000)

describe('evaluateStep', () => {
  it('returns the policy outcome and copies of its limits for a PERMIT', () => {
    const step = transfer({ to: 'bob', amount: 7 })
    expect(step.outcome).toEqual({
      decision: 'PERMIT',
      reason: 'RULE_PERMIT',
      rule: 'small-transfers',
    })
    expect(step.limits).toEqual([
      expect.objectContaining({ id: 'daily-spend', amount: 7, max: 100, reason: 'DAILY_SPEND' }),
    ])
  })

  it('checks no limits for a refusal', () => {
    const step = transfer({ to: 'mallory', amount: 7 })
    expect(step.outcome).toEqual({
      decision: 'DENY',
      reason: 'SANCTIONED_PAYEE',
      rule: 'no-sanctioned',
    })
    expect(step.limits).toEqual([])
  })

  it('answers refused input with DENY INPUT_INVALID without evaluating', () => {
    let evaluated = false
    const watching = {
      ...policy,
      evaluate: () => {
        evaluated = true
        throw new Error('not to be called')
      },
    }
    const step = evaluateStep(watching as never, normalized({ action: '', args: {} }), 0)
    expect(step.outcome).toEqual({ decision: 'DENY', reason: 'INPUT_INVALID', rule: null })
    expect(evaluated).toBe(false)
  })

  it.each([
    [
      'throws',
      () => {
        throw new Error('boom')
      },
    ],
    ['returns nothing', () => undefined],
    [
      'returns an unknown decision',
      () => ({ decision: 'MAYBE', reason: 'X', rule: null, limits: [] }),
    ],
    [
      'returns a malformed limit',
      () => ({ decision: 'PERMIT', reason: 'X', rule: null, limits: [{ id: 'l' }] }),
    ],
  ])('fails closed with DENY EVAL_ERROR when the policy %s', (_, evaluate) => {
    const step = evaluateStep(
      { ...policy, evaluate } as never,
      normalized({ action: 'a.b', args: {} }),
      0,
    )
    expect(step.outcome).toEqual({ decision: 'DENY', reason: 'EVAL_ERROR', rule: null })
    expect(step.limits).toEqual([])
  })
})

describe('checkEvaluation', () => {
  it('accepts a well-formed evaluation as it is', () => {
    const evaluation = { decision: 'SILENCE', reason: 'NO_APPLICABLE_RULE', rule: null, limits: [] }
    expect(checkEvaluation(evaluation)).toBe(evaluation)
  })

  it('refuses a limit whose amount is not finite', () => {
    const limit = {
      id: 'l',
      key: 'l|a',
      windowSeconds: 1,
      max: 1,
      amount: Number.POSITIVE_INFINITY,
    }
    expect(() =>
      checkEvaluation({ decision: 'PERMIT', reason: 'R', rule: null, limits: [limit] }),
    ).toThrow(TypeError)
  })
})
