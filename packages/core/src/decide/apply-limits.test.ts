import { describe, expect, it } from 'vitest'
import type { LimitCheck } from '../types.js'
import { applyLimits, limitReason } from './apply-limits.js'
import type { Outcome } from './outcome.js'

const permit: Outcome = { decision: 'PERMIT', reason: 'RULE_PERMIT', rule: 'small' }
const limit: LimitCheck = {
  id: 'daily',
  key: 'daily|agent:a',
  windowSeconds: 86_400,
  max: 10,
  amount: 5,
  reason: 'DAILY_SPEND',
}

describe('applyLimits', () => {
  it('keeps the outcome when no limit is exceeded', () => {
    expect(applyLimits(permit, null)).toBe(permit)
  })

  it('turns a PERMIT over a limit into a DENY with the limit reason and id', () => {
    expect(applyLimits(permit, limit)).toEqual({
      decision: 'DENY',
      reason: 'DAILY_SPEND',
      rule: 'daily',
    })
  })

  it('leaves a refusal as it is', () => {
    const deny: Outcome = { decision: 'DENY', reason: 'RULE_DENY', rule: 'r' }
    expect(applyLimits(deny, limit)).toBe(deny)
  })
})

describe('limitReason', () => {
  it.each([
    [undefined, 'LIMIT_EXCEEDED'],
    ['', 'LIMIT_EXCEEDED'],
    ['X'.repeat(65), 'LIMIT_EXCEEDED'],
    ['OVER', 'OVER'],
  ])('for reason %j is %s', (reason, expected) => {
    const { reason: _, ...rest } = limit
    expect(limitReason(reason === undefined ? rest : { ...rest, reason })).toBe(expected)
  })
})
