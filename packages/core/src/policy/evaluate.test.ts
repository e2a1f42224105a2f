import type { JsonObject } from '@writ/verify'
import { describe, expect, it } from 'vitest'
import type { RuleSpec } from '../../test/support.js'
import { compilePolicy } from './compile-policy.js'
import type { EvaluationInput } from './policy-types.js'

const policyOf = (rules: RuleSpec[], limits: JsonObject[] = []) =>
  compilePolicy({
    writ: 1,
    id: 'test',
    rules,
    ...(limits.length > 0 ? { limits } : {}),
  } as unknown as JsonObject)

const input = (args: JsonObject, overrides: Partial<EvaluationInput> = {}): EvaluationInput => ({
  action: 'payments.transfer',
  args,
  agent: 'bot-7',
  context: {},
  now: 1_736_942_400, // 2025-01-15T12:00:00Z
  ...overrides,
})

const summary = (evaluation: { decision: string; reason: string; rule: string | null }) => [
  evaluation.decision,
  evaluation.reason,
  evaluation.rule,
]

describe('evaluate: RECEIPT-SPEC section 3', () => {
  const policy = policyOf([
    {
      id: 'small',
      effect: 'permit',
      actions: ['payments.transfer'],
      when: 'args.amount <= 1000',
      reason: 'SMALL_TRANSFER',
    },
    {
      id: 'any-payments',
      effect: 'permit',
      actions: ['payments.*'],
      when: "args.currency == 'USD'",
    },
    {
      id: 'sanctioned',
      effect: 'deny',
      actions: ['payments.**'],
      when: "args.to == 'evil'",
      reason: 'SANCTIONED',
    },
    { id: 'huge', effect: 'deny', actions: ['payments.transfer'], when: 'args.amount > 100000' },
  ])

  it('PERMIT when a permit holds and no deny does; smallest holding permit id reports', () => {
    expect(summary(policy.evaluate(input({ amount: 250, currency: 'USD', to: 'a' })))).toEqual([
      'PERMIT',
      'RULE_PERMIT',
      'any-payments',
    ])
    expect(summary(policy.evaluate(input({ amount: 250, currency: 'EUR', to: 'a' })))).toEqual([
      'PERMIT',
      'SMALL_TRANSFER',
      'small',
    ])
  })

  it('deny overrides permit, with the deny rule and its reason', () => {
    expect(summary(policy.evaluate(input({ amount: 250, currency: 'USD', to: 'evil' })))).toEqual([
      'DENY',
      'SANCTIONED',
      'sanctioned',
    ])
  })

  it('smallest holding deny id reports when several hold', () => {
    expect(
      summary(policy.evaluate(input({ amount: 200000, currency: 'USD', to: 'evil' }))),
    ).toEqual(['DENY', 'RULE_DENY', 'huge'])
  })

  it('SILENCE NO_APPLICABLE_RULE when no rule applies, CONDITION_FALSE when none holds', () => {
    expect(summary(policy.evaluate(input({}, { action: 'email.send' })))).toEqual([
      'SILENCE',
      'NO_APPLICABLE_RULE',
      null,
    ])
    expect(summary(policy.evaluate(input({ amount: 5000, currency: 'EUR', to: 'a' })))).toEqual([
      'SILENCE',
      'CONDITION_FALSE',
      null,
    ])
  })

  it('DENY EVAL_ERROR naming the smallest failing rule when a condition fails (missing field)', () => {
    // `to` is missing: both deny conditions that read it fail; permits hold.
    const evaluation = policy.evaluate(input({ amount: 250, currency: 'USD' }))
    expect(summary(evaluation)).toEqual(['DENY', 'EVAL_ERROR', 'sanctioned'])
    const failing = policyOf([
      { id: 'b-permit', effect: 'permit', actions: ['**'], when: 'args.missing > 1' },
      { id: 'c-permit', effect: 'permit', actions: ['**'] },
      { id: 'a-permit', effect: 'permit', actions: ['**'], when: 'args.other.x == 1' },
    ])
    expect(summary(failing.evaluate(input({})))).toEqual(['DENY', 'EVAL_ERROR', 'a-permit'])
  })

  it('a holding deny still reports itself when another rule fails', () => {
    const mixed = policyOf([
      { id: 'a-broken', effect: 'permit', actions: ['**'], when: 'args.missing > 1' },
      { id: 'z-deny', effect: 'deny', actions: ['**'], reason: 'NOPE' },
    ])
    expect(summary(mixed.evaluate(input({})))).toEqual(['DENY', 'NOPE', 'z-deny'])
  })

  it('a rule without `when` holds whenever it applies', () => {
    const open = policyOf([{ id: 'all', effect: 'permit', actions: ['**'] }])
    expect(summary(open.evaluate(input({}, { action: 'x.y.z' })))).toEqual([
      'PERMIT',
      'RULE_PERMIT',
      'all',
    ])
  })

  it('never PERMITs on a non-finite `now` when a condition reads it', () => {
    const timed = policyOf([
      {
        id: 'office-hours',
        effect: 'permit',
        actions: ['**'],
        when: "now > timestamp('2020-01-01T00:00:00Z')",
      },
    ])
    expect(timed.evaluate(input({})).decision).toBe('PERMIT')
    expect(summary(timed.evaluate(input({}, { now: Number.NaN })))).toEqual([
      'DENY',
      'EVAL_ERROR',
      null,
    ])
  })
})

describe('evaluate: limits', () => {
  const policy = policyOf(
    [
      {
        id: 'transfers',
        effect: 'permit',
        actions: ['payments.*'],
        when: "args.currency != 'XXX'",
      },
    ],
    [
      {
        id: 'daily-spend',
        actions: ['payments.transfer'],
        per: 'agent',
        window: '24h',
        sum: 'args.amount',
        max: 5000,
        reason: 'DAILY_SPEND_LIMIT',
      },
      {
        id: 'global-count',
        actions: ['payments.**'],
        per: 'global',
        window: '1m',
        count: true,
        max: 100,
        when: 'args.amount > 10',
      },
      {
        id: 'refunds',
        actions: ['payments.refund'],
        per: 'agent',
        window: '7d',
        count: true,
        max: 3,
      },
    ],
  )

  it('attaches every matching limit, sorted by id, on PERMIT', () => {
    const evaluation = policy.evaluate(input({ amount: 250, currency: 'USD' }))
    expect(evaluation.decision).toBe('PERMIT')
    expect(evaluation.limits).toEqual([
      {
        id: 'daily-spend',
        key: 'daily-spend|agent:bot-7',
        windowSeconds: 86_400,
        max: 5000,
        amount: 250,
        reason: 'DAILY_SPEND_LIMIT',
      },
      {
        id: 'global-count',
        key: 'global-count|global',
        windowSeconds: 60,
        max: 100,
        amount: 1,
        reason: 'LIMIT_EXCEEDED',
      },
    ])
  })

  it('skips a limit whose `when` does not hold', () => {
    const evaluation = policy.evaluate(input({ amount: 5, currency: 'USD' }))
    expect(evaluation.limits.map((limit) => limit.id)).toEqual(['daily-spend'])
  })

  it('carries no limits on DENY or SILENCE', () => {
    expect(policy.evaluate(input({ amount: 250, currency: 'XXX' })).limits).toEqual([])
  })

  it('DENY EVAL_ERROR naming the limit when its sum fails or is negative', () => {
    expect(summary(policy.evaluate(input({ amount: -5, currency: 'USD' })))).toEqual([
      'DENY',
      'EVAL_ERROR',
      'daily-spend',
    ])
    expect(summary(policy.evaluate(input({ amount: '5', currency: 'USD' })))).toEqual([
      'DENY',
      'EVAL_ERROR',
      'daily-spend',
    ])
  })
})

describe('explain', () => {
  it('reports every rule and limit: applies, holds, error, and the evaluation', () => {
    const policy = policyOf(
      [
        {
          id: 'small',
          effect: 'permit',
          actions: ['payments.transfer'],
          when: 'args.amount <= 1000',
        },
        { id: 'blocked', effect: 'deny', actions: ['payments.*'], when: "args.to == 'evil'" },
        { id: 'email', effect: 'permit', actions: ['email.send'] },
      ],
      [
        {
          id: 'daily',
          actions: ['payments.transfer'],
          per: 'agent',
          window: '1d',
          sum: 'args.amount',
          max: 10,
        },
      ],
    )
    const explanation = policy.explain(input({ amount: 250 }))
    expect(explanation.evaluation).toEqual(policy.evaluate(input({ amount: 250 })))
    expect(explanation.evaluation).toMatchObject({
      decision: 'DENY',
      reason: 'EVAL_ERROR',
      rule: 'blocked',
      errorCode: 'EVAL_FAILED',
    })
    expect(explanation.rules).toEqual([
      {
        id: 'blocked',
        effect: 'deny',
        reason: 'RULE_DENY',
        applies: true,
        holds: null,
        error: expect.any(String),
        errorCode: 'EVAL_FAILED',
      },
      {
        id: 'email',
        effect: 'permit',
        reason: 'RULE_PERMIT',
        applies: false,
        holds: null,
        error: null,
        errorCode: null,
      },
      {
        id: 'small',
        effect: 'permit',
        reason: 'RULE_PERMIT',
        applies: true,
        holds: true,
        error: null,
        errorCode: null,
      },
    ])
    expect(explanation.limits).toEqual([
      { id: 'daily', applies: true, holds: true, amount: 250, error: null, errorCode: null },
    ])
  })
})

describe('scale', () => {
  it('decides correctly with 10,000 rules', () => {
    const rules: RuleSpec[] = []
    for (let index = 0; index < 10_000; index++) {
      rules.push({
        id: `rule-${String(index).padStart(5, '0')}`,
        effect: 'permit',
        actions: [`service${index}.*`],
        when: `args.n == ${index}`,
      })
    }
    rules.push({ id: 'deny-9999', effect: 'deny', actions: ['service9999.drop'] })
    const policy = policyOf(rules)
    expect(summary(policy.evaluate(input({ n: 42 }, { action: 'service42.read' })))).toEqual([
      'PERMIT',
      'RULE_PERMIT',
      'rule-00042',
    ])
    expect(summary(policy.evaluate(input({ n: 41 }, { action: 'service42.read' })))).toEqual([
      'SILENCE',
      'CONDITION_FALSE',
      null,
    ])
    expect(summary(policy.evaluate(input({ n: 9999 }, { action: 'service9999.drop' })))).toEqual([
      'DENY',
      'RULE_DENY',
      'deny-9999',
    ])
    expect(summary(policy.evaluate(input({}, { action: 'nothing.here' })))).toEqual([
      'SILENCE',
      'NO_APPLICABLE_RULE',
      null,
    ])
  })
})
