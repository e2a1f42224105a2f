/**
 * One agent stalls the authority with a condition whose work grows faster than its
 * arguments: a comprehension nested in another, or `in` inside a comprehension, over
 * lists the agent chooses. Nesting is bounded at load; the work of each evaluation is
 * bounded at run time by a cost budget and a cap on what a macro or `in` iterates, and
 * running out is a DENY `EVAL_ERROR`, never a stall and never a PERMIT.
 *
 * No test here measures time: each asserts the decision and the failure's code. On the
 * code before the budget, the first two take tens of seconds and end in PERMIT.
 */
import {
  compilePolicy,
  createGate,
  DEFAULT_MAX_ITERATED_SIZE,
  generateSigningKey,
} from '@writ/core'
import { describe, expect, it } from 'vitest'

function policyWith(when: string, options: Parameters<typeof compilePolicy>[1] = {}) {
  return compilePolicy(
    {
      writ: 1,
      id: 'cost',
      rules: [{ id: 'mail', effect: 'permit', actions: ['email.send'], when }],
    },
    options,
  )
}

const decide = (policy: ReturnType<typeof policyWith>, args: Record<string, unknown>) =>
  policy.evaluate({ action: 'email.send', args: args as never, agent: 'bot', context: {}, now: 0 })

const names = (count: number, prefix = 'user') =>
  Array.from({ length: count }, (_, index) => `${prefix}${index}@example.com`)

const UNIQUE = 'args.items.all(i, args.items.exists_one(j, j == i))'
const DISJOINT = 'args.cc.all(c, !(c in args.bcc))'

describe('a condition cannot make one evaluation do unbounded work', () => {
  it('exists_one nested in all over 20,000 items (27 s before) is DENY EVAL_ERROR', () => {
    const evaluation = decide(policyWith(UNIQUE), { items: names(20_000) })
    expect(evaluation).toMatchObject({ decision: 'DENY', reason: 'EVAL_ERROR', rule: 'mail' })
    // Over the size cap: refused before the first iteration.
    expect(evaluation.errorCode).toBe('EVAL_SIZE_LIMIT')
  })

  it('`in` inside all over 20,000 × 20,000 entries (5 s before) is DENY EVAL_ERROR', () => {
    const evaluation = decide(policyWith(DISJOINT), {
      cc: names(20_000, 'cc'),
      bcc: names(20_000, 'bcc'),
    })
    expect(evaluation).toMatchObject({ decision: 'DENY', reason: 'EVAL_ERROR', rule: 'mail' })
    expect(evaluation.errorCode).toBe('EVAL_SIZE_LIMIT')
  })

  it('under the size cap, the quadratic work runs out of budget: DENY EVAL_ERROR', () => {
    const size = DEFAULT_MAX_ITERATED_SIZE
    const unique = decide(policyWith(UNIQUE), { items: names(size) })
    expect(unique).toMatchObject({ decision: 'DENY', reason: 'EVAL_ERROR', rule: 'mail' })
    expect(unique.errorCode).toBe('EVAL_BUDGET_EXCEEDED')
    const disjoint = decide(policyWith(DISJOINT), {
      cc: names(size, 'cc'),
      bcc: names(size, 'bcc'),
    })
    expect(disjoint).toMatchObject({ decision: 'DENY', reason: 'EVAL_ERROR', rule: 'mail' })
    expect(disjoint.errorCode).toBe('EVAL_BUDGET_EXCEEDED')
  })

  it('a budget spent inside `||` is not absorbed by the other side', () => {
    const policy = policyWith(`${UNIQUE} || true`)
    const evaluation = decide(policy, { items: names(DEFAULT_MAX_ITERATED_SIZE) })
    expect(evaluation).toMatchObject({ decision: 'DENY', reason: 'EVAL_ERROR' })
    expect(evaluation.errorCode).toBe('EVAL_BUDGET_EXCEEDED')
  })

  it('a deny rule whose condition runs out of budget still denies', () => {
    const policy = compilePolicy({
      writ: 1,
      id: 'cost',
      rules: [
        { id: 'mail', effect: 'permit', actions: ['email.send'] },
        { id: 'dupes', effect: 'deny', actions: ['email.send'], when: `!(${UNIQUE})` },
      ],
    })
    const evaluation = decide(policy, { items: names(DEFAULT_MAX_ITERATED_SIZE) })
    expect(evaluation).toMatchObject({ decision: 'DENY', reason: 'EVAL_ERROR', rule: 'dupes' })
    expect(evaluation.errorCode).toBe('EVAL_BUDGET_EXCEEDED')
  })

  it('the budget and the size cap are options of compilePolicy', () => {
    const small = policyWith('args.items.all(i, i.size() > 0)', { maxIteratedSize: 10 })
    expect(decide(small, { items: names(10) }).decision).toBe('PERMIT')
    expect(decide(small, { items: names(11) }).errorCode).toBe('EVAL_SIZE_LIMIT')
    const cheap = policyWith('args.items.all(i, i.size() > 0)', { maxEvaluationCost: 100 })
    expect(decide(cheap, { items: names(5) }).decision).toBe('PERMIT')
    expect(decide(cheap, { items: names(50) }).errorCode).toBe('EVAL_BUDGET_EXCEEDED')
  })

  it('normal policies over normal input decide as before', () => {
    const policy = compilePolicy({
      writ: 1,
      id: 'normal',
      rules: [
        {
          id: 'small',
          effect: 'permit',
          actions: ['payments.transfer'],
          when: "args.amount <= 1000 && args.currency in ['USD', 'EUR'] && args.lines.all(l, l.qty > 0)",
        },
        {
          id: 'blocked',
          effect: 'deny',
          actions: ['payments.transfer'],
          when: "args.to in context.blocked || args.tags.exists(t, t == 'sanctioned')",
        },
      ],
    })
    const input = (args: Record<string, unknown>) => ({
      action: 'payments.transfer',
      args: args as never,
      agent: 'bot',
      context: { blocked: ['acct_evil'] },
      now: 0,
    })
    const lines = Array.from({ length: 1000 }, (_, index) => ({ qty: index + 1 }))
    const base = { amount: 250, currency: 'USD', to: 'acct_1', tags: ['ok'], lines }
    expect(policy.evaluate(input(base))).toMatchObject({ decision: 'PERMIT', rule: 'small' })
    expect(policy.evaluate(input({ ...base, to: 'acct_evil' }))).toMatchObject({
      decision: 'DENY',
      reason: 'RULE_DENY',
      rule: 'blocked',
    })
    expect(policy.evaluate(input({ ...base, amount: 5000 }))).toMatchObject({
      decision: 'SILENCE',
      reason: 'CONDITION_FALSE',
    })
  })

  it('at the gate, the attack ends in a signed DENY EVAL_ERROR', async () => {
    const gate = createGate({
      policy: policyWith(DISJOINT),
      keys: generateSigningKey(),
      issuer: 'https://authority.security.test',
    })
    const decision = await gate.authorize({
      action: 'email.send',
      args: { cc: names(DEFAULT_MAX_ITERATED_SIZE, 'cc'), bcc: names(5_000, 'bcc') },
    })
    expect(decision).toMatchObject({ decision: 'DENY', reason: 'EVAL_ERROR', rule: 'mail' })
    expect(decision.claims).toMatchObject({ decision: 'DENY', reason: 'EVAL_ERROR', rule: 'mail' })
  })
})

describe('writ policy check warns about quadratic patterns', () => {
  it('reports a nested comprehension and `in` over argument lists, with their rule', () => {
    expect(policyWith(UNIQUE).warnings).toMatchObject([{ ruleId: 'mail', path: 'rules[0].when' }])
    expect(policyWith(DISJOINT).warnings).toMatchObject([{ ruleId: 'mail', path: 'rules[0].when' }])
    expect(policyWith("args.items.all(i, i in ['a', 'b'])").warnings).toEqual([])
    expect(policyWith('args.orders.all(o, o.lines.all(l, l.qty > 0))').warnings).toEqual([])
  })
})
