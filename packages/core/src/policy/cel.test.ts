import { WritError } from '@writ/verify'
import { describe, expect, it } from 'vitest'
import {
  type ConditionActivation,
  ConditionEvaluationError,
  compileAmount,
  compileCondition,
} from './cel.js'

const where = { path: 'rules[0].when', ruleId: 'r' }
const activation = (
  args: ConditionActivation['args'],
  extra: Partial<ConditionActivation> = {},
): ConditionActivation => ({
  args,
  agent: 'bot-7',
  context: { tenant: 'acme' },
  now: new Date(Date.UTC(2025, 0, 15, 12)),
  audience: null,
  history: [],
  ...extra,
})

function codeOf(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    if (WritError.isInstance(error)) return error.code
    throw error
  }
  return 'none'
}

describe('compileCondition', () => {
  it('compares JSON integers and doubles with int literals alike', () => {
    const condition = compileCondition('args.amount <= 1000', where)
    expect(condition.evaluate(activation({ amount: 250 }))).toBe(true)
    expect(condition.evaluate(activation({ amount: 250.5 }))).toBe(true)
    expect(condition.evaluate(activation({ amount: 1000.5 }))).toBe(false)
    expect(
      compileCondition('args.amount == 250', where).evaluate(activation({ amount: 250.0 })),
    ).toBe(true)
  })

  it.each([
    ["args.currency in ['USD', 'EUR']", { currency: 'USD' }, true],
    ["args.currency in ['USD', 'EUR']", { currency: 'GBP' }, false],
    ['size(args.items) == 2 && args.items.size() == 2', { items: [1, 2] }, true],
    ['has(args.memo)', {}, false],
    [
      "args.to.startsWith('acct_') && args.to.endsWith('5') && args.to.contains('12')",
      { to: 'acct_125' },
      true,
    ],
    ["args.to.matches('^acct_[0-9]+$')", { to: 'acct_125' }, true],
    ["args.to.matches('^acct_[0-9]+$')", { to: 'acct_x' }, false],
    [
      'args.items.all(i, i > 0) && args.items.exists(i, i > 1) && args.items.filter(i, i > 1).size() == 1',
      { items: [1, 2] },
      true,
    ],
    ["agent == 'bot-7' && context.tenant == 'acme'", {}, true],
    ["now > timestamp('2025-01-01T00:00:00Z') && now.getHours() == 12", {}, true],
    ["now - timestamp('2025-01-15T00:00:00Z') < duration('13h')", {}, true],
    ['args.missing > 1 || true', {}, true],
  ])('%s', (source, args, expected) => {
    expect(compileCondition(source, where).evaluate(activation(args))).toBe(expected)
  })

  it('throws at runtime on a missing field, a type error, or a non-boolean value', () => {
    expect(() => compileCondition('args.missing > 1', where).evaluate(activation({}))).toThrow()
    expect(() =>
      compileCondition('args.name > 1', where).evaluate(activation({ name: 'x' })),
    ).toThrow()
    expect(() =>
      compileCondition('args.flag', where).evaluate(activation({ flag: 'yes' })),
    ).toThrow()
    expect(() =>
      compileCondition('args.to.x == 1', where).evaluate(activation({ to: 'a' })),
    ).toThrow()
  })

  it('never reads inherited properties', () => {
    expect(() =>
      compileCondition("args.constructor == ''", where).evaluate(activation({})),
    ).toThrow()
    expect(compileCondition('has(args.toString)', where).evaluate(activation({}))).toBe(false)
  })

  it('refuses at load: syntax and type errors (POLICY_INVALID)', () => {
    expect(codeOf(() => compileCondition('args.amount <=', where))).toBe('POLICY_INVALID')
    expect(codeOf(() => compileCondition('1 + 2', where))).toBe('POLICY_INVALID')
    expect(codeOf(() => compileCondition("agent + 1 == 'x'", where))).toBe('POLICY_INVALID')
    expect(codeOf(() => compileCondition('x'.repeat(5000), where))).toBe('POLICY_INVALID')
  })

  it('refuses at load: unknown variables, unsafe or dynamic patterns, deep nesting (POLICY_UNSAFE)', () => {
    expect(codeOf(() => compileCondition('user.admin', where))).toBe('POLICY_UNSAFE')
    expect(codeOf(() => compileCondition("args.to.matches('(a|a)*$')", where))).toBe(
      'POLICY_UNSAFE',
    )
    expect(codeOf(() => compileCondition('args.to.matches(args.pattern)', where))).toBe(
      'POLICY_UNSAFE',
    )
    expect(codeOf(() => compileCondition("args.to.matches('a' + 'b')", where))).toBe(
      'POLICY_UNSAFE',
    )
    expect(
      codeOf(() =>
        compileCondition('args.a.all(x, args.a.all(y, args.a.all(z, x == y && y == z)))', where),
      ),
    ).toBe('POLICY_UNSAFE')
    expect(codeOf(() => compileCondition(`${'('.repeat(40)}true${')'.repeat(40)}`, where))).toBe(
      'POLICY_UNSAFE',
    )
  })

  it('reports whether `now` is read', () => {
    expect(compileCondition("now > timestamp('2025-01-01T00:00:00Z')", where).usesNow).toBe(true)
    expect(compileCondition('args.x == 1', where).usesNow).toBe(false)
  })
})

describe('compileAmount', () => {
  it('yields finite non-negative numbers', () => {
    expect(compileAmount('args.amount', where).evaluate(activation({ amount: 12.5 }))).toBe(12.5)
    expect(
      compileAmount('size(args.items)', where).evaluate(activation({ items: [1, 2, 3] })),
    ).toBe(3)
  })

  it('throws on negative, non-numeric or missing values', () => {
    expect(() => compileAmount('args.amount', where).evaluate(activation({ amount: -1 }))).toThrow()
    expect(() =>
      compileAmount('args.amount', where).evaluate(activation({ amount: '5' })),
    ).toThrow()
    expect(() => compileAmount('args.amount', where).evaluate(activation({}))).toThrow()
  })

  it('refuses non-numeric expressions at load', () => {
    expect(codeOf(() => compileAmount("'5'", where))).toBe('POLICY_INVALID')
  })
})

describe('evaluation guards', () => {
  function errorCodeOf(run: () => unknown): string {
    try {
      run()
    } catch (error) {
      if (error instanceof ConditionEvaluationError) return error.code
      return 'other'
    }
    return 'none'
  }

  it('reads `audience`: a string, or null', () => {
    const condition = compileCondition("audience != null && audience.endsWith('.example')", where)
    expect(condition.evaluate(activation({}, { audience: 'https://pay.example' }))).toBe(true)
    expect(condition.evaluate(activation({}, { audience: null }))).toBe(false)
  })

  it('codes its failures: type mismatch, size limit, budget, other', () => {
    expect(
      errorCodeOf(() => compileCondition("args.to == 'x'", where).evaluate(activation({ to: [] }))),
    ).toBe('EVAL_TYPE_MISMATCH')
    expect(
      errorCodeOf(() =>
        compileCondition('args.l.exists(i, i == 1)', where, { maxIteratedSize: 2 }).evaluate(
          activation({ l: [3, 2, 1] }),
        ),
      ),
    ).toBe('EVAL_SIZE_LIMIT')
    expect(
      errorCodeOf(() =>
        compileCondition('2 in args.l', where, { maxIteratedSize: 2 }).evaluate(
          activation({ l: [3, 2, 1] }),
        ),
      ),
    ).toBe('EVAL_SIZE_LIMIT')
    expect(
      errorCodeOf(() =>
        compileCondition("args.s.contains('x')", where, { maxEvaluationCost: 10 }).evaluate(
          activation({ s: 'a'.repeat(1000) }),
        ),
      ),
    ).toBe('EVAL_BUDGET_EXCEEDED')
    expect(errorCodeOf(() => compileCondition('args.x > 1', where).evaluate(activation({})))).toBe(
      'EVAL_FAILED',
    )
  })

  it('charges for reading maps, even when they differ at once', () => {
    const keys = (prefix: string) =>
      Object.fromEntries(Array.from({ length: 1000 }, (_, index) => [`${prefix}${index}`, index]))
    const args = {
      items: Array.from({ length: 1000 }, (_, index) => index),
      m: keys('a'),
      n: keys('b'),
    }
    expect(
      errorCodeOf(() =>
        compileCondition('args.items.all(i, args.m != args.n)', where).evaluate(activation(args)),
      ),
    ).toBe('EVAL_BUDGET_EXCEEDED')
    // A key lookup iterates nothing: cheap, and not subject to the size cap.
    expect(
      compileCondition("args.items.all(i, 'a1' in args.m)", where, {
        maxIteratedSize: 10,
      }).evaluate(activation({ ...args, items: [1, 2, 3] })),
    ).toBe(true)
  })

  it('gives every evaluation a fresh budget', () => {
    const condition = compileCondition('args.l.all(i, i > 0)', where, { maxEvaluationCost: 200 })
    const args = { l: Array.from({ length: 20 }, (_, index) => index + 1) }
    for (let round = 0; round < 50; round++) expect(condition.evaluate(activation(args))).toBe(true)
  })

  it('warns about quadratic patterns over argument lists only', () => {
    expect(
      compileCondition('args.a.all(x, args.b.exists(y, y == x))', where).warnings,
    ).toHaveLength(1)
    expect(compileCondition('args.a.all(x, x in args.b)', where).warnings).toHaveLength(1)
    expect(compileCondition("args.a.all(x, x in ['a'])", where).warnings).toEqual([])
    expect(compileCondition("['a'].all(x, x in args.b)", where).warnings).toEqual([])
    expect(compileCondition('args.a.all(x, x.b.all(y, y > 0))', where).warnings).toEqual([])
  })
})
