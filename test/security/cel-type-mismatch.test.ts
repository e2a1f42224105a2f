/**
 * An agent sends a value of another type than the policy expects, so that a comparison
 * quietly answers `false`: `args.to == 'mallory'` is evaded with `["mallory"]`, and
 * `args.country != 'KP'` holds for `null` or `["KP"]`. In Writ a comparison of values of
 * different types (`==`, `!=`, `<`, `<=`, `>`, `>=`, `in`) is an evaluation error, so
 * the decision is DENY `EVAL_ERROR`. Numbers compare by value whatever their CEL type,
 * and `x == null` / `x != null` against the literal `null` are presence tests.
 */
import { compilePolicy, type Evaluation } from '@writ/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'

function decide(when: string, args: Record<string, unknown>, effect: 'permit' | 'deny' = 'permit') {
  const rules = [{ id: 'rule', effect, actions: ['payments.transfer'], when }]
  // A deny rule alone would SILENCE when it does not hold; a permit-all shows the evasion.
  if (effect === 'deny')
    rules.push({ id: 'allow', effect: 'permit', actions: ['payments.transfer'], when: 'true' })
  const policy = compilePolicy({ writ: 1, id: 'types', rules })
  return policy.evaluate({
    action: 'payments.transfer',
    args: args as never,
    agent: 'bot',
    context: {},
    now: 0,
  })
}

const refused = (evaluation: Evaluation) => ({
  decision: evaluation.decision,
  reason: evaluation.reason,
  errorCode: evaluation.errorCode,
})
const TYPE_ERROR = { decision: 'DENY', reason: 'EVAL_ERROR', errorCode: 'EVAL_TYPE_MISMATCH' }

describe('the reported evasions', () => {
  it.each([
    ['a list', ['mallory']],
    ['a map', { name: 'mallory' }],
    ['null', null],
    ['a number', 7],
  ])("a deny rule `args.to == 'mallory'` is not evaded with %s", (_, to) => {
    expect(refused(decide("args.to == 'mallory'", { to }, 'deny'))).toEqual(TYPE_ERROR)
    expect(decide("args.to == 'mallory'", { to: 'mallory' }, 'deny')).toMatchObject({
      decision: 'DENY',
      reason: 'RULE_DENY',
    })
  })

  it.each([
    ['null', null],
    ['a list', ['KP']],
    ['a boolean', true],
  ])("a permit rule `args.country != 'KP'` does not permit %s", (_, country) => {
    expect(refused(decide("args.country != 'KP'", { country }))).toEqual(TYPE_ERROR)
    expect(decide("args.country != 'KP'", { country: 'FR' }).decision).toBe('PERMIT')
  })

  it("a deny rule `args.country in ['KP', 'IR']` is not evaded with a list or a number", () => {
    const rule = "args.country in ['KP', 'IR']"
    expect(refused(decide(rule, { country: ['KP'] }, 'deny'))).toEqual(TYPE_ERROR)
    expect(refused(decide(rule, { country: 1 }, 'deny'))).toEqual(TYPE_ERROR)
    expect(refused(decide(rule, { country: null }, 'deny'))).toEqual(TYPE_ERROR)
    expect(decide(rule, { country: 'KP' }, 'deny').reason).toBe('RULE_DENY')
    expect(decide(rule, { country: 'FR' }, 'deny').decision).toBe('PERMIT')
  })

  it('`in` a map needs a string key', () => {
    const rule = 'args.key in args.table'
    expect(decide(rule, { key: 'a', table: { a: 1 } }).decision).toBe('PERMIT')
    expect(decide(rule, { key: 'b', table: { a: 1 } }).decision).toBe('SILENCE')
    expect(refused(decide(rule, { key: 1, table: { 1: true } }))).toEqual(TYPE_ERROR)
    expect(refused(decide(rule, { key: 'a', table: 'abc' }))).toEqual(TYPE_ERROR)
  })
})

describe('numbers and null', () => {
  it('int and double of the same value are equal (250 == 250.0)', () => {
    expect(decide('args.amount == 250.0', { amount: 250 }).decision).toBe('PERMIT')
    expect(decide('args.amount == 250', { amount: 250 }).decision).toBe('PERMIT')
    expect(decide('args.amount == 250', { amount: 250.5 }).decision).toBe('SILENCE')
    expect(decide('args.amount <= 1000', { amount: 250.5 }).decision).toBe('PERMIT')
    expect(decide('args.amount != 250', { amount: 250 }).decision).toBe('SILENCE')
    expect(decide('int(args.amount) == args.amount', { amount: 250 }).decision).toBe('PERMIT')
  })

  it('`x == null` and `x != null` test presence, for any type', () => {
    expect(decide('args.x == null', { x: null }).decision).toBe('PERMIT')
    expect(decide('null == args.x', { x: null }).decision).toBe('PERMIT')
    for (const x of ['a', 1, true, [], {}]) {
      expect(decide('args.x == null', { x }).decision).toBe('SILENCE')
      expect(decide('args.x != null', { x }).decision).toBe('PERMIT')
    }
    expect(decide('args.x != null', { x: null }).decision).toBe('SILENCE')
    // A guarded comparison never reaches the mismatch.
    expect(decide("args.x != null && args.x != 'KP'", { x: null }).decision).toBe('SILENCE')
  })

  it('null from the arguments compared with a non-null value is a type error', () => {
    expect(refused(decide('args.x == args.y', { x: null, y: 'KP' }))).toEqual(TYPE_ERROR)
    expect(decide('args.x == args.y', { x: null, y: null }).decision).toBe('PERMIT')
    expect(refused(decide('args.x < 5', { x: null }))).toEqual(TYPE_ERROR)
  })
})

// Every operator over every pair of JSON types: a mismatch is always EVAL_TYPE_MISMATCH.
type Kind = 'null' | 'bool' | 'int' | 'double' | 'string' | 'list' | 'map'
const SAMPLES: Record<Kind, unknown> = {
  null: null,
  bool: true,
  int: 7,
  double: 7.5,
  string: 'KP',
  list: ['KP'],
  map: { KP: 1 },
}
const KINDS = Object.keys(SAMPLES) as Kind[]
const numeric = (kind: Kind) => kind === 'int' || kind === 'double'
const sameType = (left: Kind, right: Kind) => left === right || (numeric(left) && numeric(right))
const ordered = (kind: Kind) => kind === 'bool' || kind === 'string' || numeric(kind)

const pairs = KINDS.flatMap((left) => KINDS.map((right) => [left, right] as const))

describe.each(['==', '!=', '<', '<=', '>', '>='])('args.a %s args.b', (operator) => {
  it.each(pairs)('%s with %s', (left, right) => {
    const evaluation = decide(`args.a ${operator} args.b`, { a: SAMPLES[left], b: SAMPLES[right] })
    const equality = operator === '==' || operator === '!='
    const defined = sameType(left, right) && (equality || ordered(left))
    if (defined) expect(evaluation.reason).not.toBe('EVAL_ERROR')
    else expect(refused(evaluation)).toEqual(TYPE_ERROR)
  })
})

describe('args.a in args.b', () => {
  it.each(pairs)('%s in a list of %s', (left, right) => {
    const evaluation = decide('args.a in args.b', { a: SAMPLES[left], b: [SAMPLES[right]] })
    if (sameType(left, right)) expect(evaluation.reason).not.toBe('EVAL_ERROR')
    else expect(refused(evaluation)).toEqual(TYPE_ERROR)
  })

  it.each(KINDS)('%s in a map', (left) => {
    const evaluation = decide('args.a in args.b', { a: SAMPLES[left], b: { KP: 1 } })
    if (left === 'string') expect(evaluation.decision).toBe('PERMIT')
    else expect(refused(evaluation)).toEqual(TYPE_ERROR)
  })
})

describe('equality is JSON equality on same types and an error otherwise', () => {
  const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.constant(null),
      fc.boolean(),
      fc.integer({ min: -3, max: 3 }),
      fc.constantFrom(0.5, 1.5, 2.0),
      fc.constantFrom('', 'a', 'KP'),
      fc.array(tie('value'), { maxLength: 3 }),
      fc.dictionary(fc.constantFrom('a', 'b'), tie('value'), { maxKeys: 2 }),
    ),
  })).value

  const kind = (value: unknown) =>
    value === null
      ? 'null'
      : Array.isArray(value)
        ? 'list'
        : typeof value === 'object'
          ? 'map'
          : typeof value

  // Reference: equal JSON data, or an error as soon as two compared values differ in type.
  function reference(left: unknown, right: unknown): boolean | 'error' {
    if (kind(left) !== kind(right)) return 'error'
    if (Array.isArray(left) && Array.isArray(right)) {
      if (left.length !== right.length) return false
      for (let index = 0; index < left.length; index++) {
        const result = reference(left[index], right[index])
        if (result !== true) return result
      }
      return true
    }
    if (kind(left) === 'map') {
      const a = left as Record<string, unknown>
      const b = right as Record<string, unknown>
      if (Object.keys(a).length !== Object.keys(b).length) return false
      for (const key of Object.keys(a)) {
        if (!Object.hasOwn(b, key)) return false
        const result = reference(a[key], b[key])
        if (result !== true) return result
      }
      return true
    }
    return left === right
  }

  it('holds for generated values', () => {
    fc.assert(
      fc.property(json, json, (a, b) => {
        const expected = reference(a, b)
        const evaluation = decide('args.a == args.b', { a, b })
        if (expected === 'error') expect(refused(evaluation)).toEqual(TYPE_ERROR)
        else expect(evaluation.decision).toBe(expected ? 'PERMIT' : 'SILENCE')
        const negated = decide('args.a != args.b', { a, b })
        if (expected === 'error') expect(refused(negated)).toEqual(TYPE_ERROR)
        else expect(negated.decision).toBe(expected ? 'SILENCE' : 'PERMIT')
      }),
      { numRuns: 300 },
    )
  })
})
