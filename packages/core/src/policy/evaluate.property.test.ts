import type { JsonObject } from '@writ/verify'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { RuleSpec } from '../../test/support.js'
import { matchesAction } from './action-pattern.js'
import { compileCondition } from './cel.js'
import { compilePolicy } from './compile-policy.js'
import { PolicyEvaluator, type PreparedRule } from './evaluate.js'
import type { Evaluation, EvaluationInput } from './policy-types.js'

// The decision algebra of RECEIPT-SPEC section 3, checked on random policies.

const patterns = ['pay.transfer', 'pay.*', 'pay.**', '**', 'other.x', '*.y']
const actions = ['pay.transfer', 'pay.a.y', 'other.x', 'none']
// holds when x > 0 / x < 1 / never / always / fails to evaluate
const conditions = [undefined, 'args.x > 0', 'args.x < 1', 'false', 'true', 'args.missing > 1']

const ruleArbitrary = (idPrefix: string, effect?: 'permit' | 'deny') =>
  fc.record({
    id: fc.integer({ min: 0, max: 30 }).map((n) => `${idPrefix}${String(n).padStart(2, '0')}`),
    effect:
      effect === undefined
        ? fc.constantFrom<'permit' | 'deny'>('permit', 'deny')
        : fc.constant(effect),
    actions: fc.uniqueArray(fc.constantFrom(...patterns), { minLength: 1, maxLength: 2 }),
    when: fc.constantFrom(...conditions),
    reason: fc.constantFrom(undefined, 'CUSTOM_A', 'CUSTOM_B'),
  })

const rulesArbitrary = fc.uniqueArray(ruleArbitrary('r'), {
  selector: (rule) => rule.id,
  maxLength: 8,
})
const inputArbitrary = fc.record({
  action: fc.constantFrom(...actions),
  x: fc.integer({ min: -2, max: 2 }),
})

const clean = (rule: {
  id: string
  effect: 'permit' | 'deny'
  actions: string[]
  when: string | undefined
  reason: string | undefined
}): RuleSpec => ({
  id: rule.id,
  effect: rule.effect,
  actions: rule.actions,
  ...(rule.when === undefined ? {} : { when: rule.when }),
  ...(rule.reason === undefined ? {} : { reason: rule.reason }),
})

const compiled = new Map<string, ReturnType<typeof compilePolicy>>()
function decide(rules: RuleSpec[], input: { action: string; x: number }): Evaluation {
  const key = JSON.stringify(rules)
  let policy = compiled.get(key)
  if (policy === undefined) {
    policy = compilePolicy({ writ: 1, id: 'p', rules } as unknown as JsonObject)
    compiled.set(key, policy)
  }
  return policy.evaluate(toInput(input))
}
const toInput = (input: { action: string; x: number }): EvaluationInput => ({
  action: input.action,
  args: { x: input.x },
  agent: 'a',
  context: {},
  now: 0,
})
const outcome = (evaluation: Evaluation) => [
  evaluation.decision,
  evaluation.rule,
  evaluation.reason,
]

// A direct, unoptimized reading of the spec, to compare against.
function oracle(
  rules: RuleSpec[],
  input: { action: string; x: number },
): [string, string | null, string] {
  const applicable = rules.filter((rule) =>
    rule.actions.some((pattern) => matchesAction(pattern, input.action)),
  )
  const status = (rule: RuleSpec): 'holds' | 'false' | 'error' => {
    switch (rule.when) {
      case undefined:
      case 'true':
        return 'holds'
      case 'false':
        return 'false'
      case 'args.x > 0':
        return input.x > 0 ? 'holds' : 'false'
      case 'args.x < 1':
        return input.x < 1 ? 'holds' : 'false'
      default:
        return 'error'
    }
  }
  const smallest = (list: RuleSpec[]) =>
    [...list].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))[0]
  const denies = applicable.filter((rule) => rule.effect === 'deny' && status(rule) === 'holds')
  if (denies.length > 0) {
    const rule = smallest(denies)!
    return ['DENY', rule.id, rule.reason ?? 'RULE_DENY']
  }
  const errors = applicable.filter((rule) => status(rule) === 'error')
  if (errors.length > 0) return ['DENY', smallest(errors)!.id, 'EVAL_ERROR']
  const permits = applicable.filter((rule) => rule.effect === 'permit' && status(rule) === 'holds')
  if (permits.length > 0) {
    const rule = smallest(permits)!
    return ['PERMIT', rule.id, rule.reason ?? 'RULE_PERMIT']
  }
  return ['SILENCE', null, applicable.length === 0 ? 'NO_APPLICABLE_RULE' : 'CONDITION_FALSE']
}

/** Checks `property` of the decisions before and after adding one random rule of `effect`. */
function assertWithExtraRule(
  id: string,
  effect: 'permit' | 'deny',
  property: (before: ReturnType<typeof decide>, after: ReturnType<typeof decide>) => void,
): void {
  fc.assert(
    fc.property(
      rulesArbitrary,
      ruleArbitrary(id, effect),
      inputArbitrary,
      (rules, extra, input) => {
        const specs = rules.map(clean)
        property(decide(specs, input), decide([...specs, clean(extra)], input))
      },
    ),
    { numRuns: 200 },
  )
}

describe('decision algebra (fast-check)', () => {
  it('matches a direct reading of the spec', () => {
    fc.assert(
      fc.property(rulesArbitrary, inputArbitrary, (rules, input) => {
        const specs = rules.map(clean)
        expect(outcome(decide(specs, input))).toEqual(oracle(specs, input))
      }),
      { numRuns: 300 },
    )
  })

  it('deny overrides: an applicable holding deny always DENYs with a deny rule', () => {
    fc.assert(
      fc.property(rulesArbitrary, inputArbitrary, (rules, input) => {
        const specs = rules.map(clean)
        const evaluation = decide(
          [...specs, { id: 'zz-deny', effect: 'deny', actions: ['**'] }],
          input,
        )
        expect(evaluation.decision).toBe('DENY')
        expect(evaluation.reason).not.toBe('EVAL_ERROR')
      }),
      { numRuns: 150 },
    )
  })

  it('without a permit rule, never PERMIT; without an applicable rule, SILENCE', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(ruleArbitrary('d', 'deny'), { selector: (rule) => rule.id, maxLength: 6 }),
        inputArbitrary,
        (rules, input) => {
          expect(decide(rules.map(clean), input).decision).not.toBe('PERMIT')
          expect(outcome(decide([], input))).toEqual(['SILENCE', null, 'NO_APPLICABLE_RULE'])
        },
      ),
      { numRuns: 150 },
    )
  })

  it('shuffling rules never changes (decision, rule, reason)', () => {
    fc.assert(
      fc.property(
        rulesArbitrary.chain((rules) =>
          fc.tuple(
            fc.constant(rules),
            fc.shuffledSubarray(rules, { minLength: rules.length, maxLength: rules.length }),
          ),
        ),
        inputArbitrary,
        ([rules, shuffled], input) => {
          expect(outcome(decide(shuffled.map(clean), input))).toEqual(
            outcome(decide(rules.map(clean), input)),
          )
        },
      ),
      { numRuns: 200 },
    )
  })

  it('duplicating a rule (under a later id) never changes (decision, rule, reason)', () => {
    fc.assert(
      fc.property(rulesArbitrary, fc.nat(), inputArbitrary, (rules, pick, input) => {
        fc.pre(rules.length > 0)
        const specs = rules.map(clean)
        const copy = { ...specs[pick % specs.length]!, id: `zz-copy` }
        expect(outcome(decide([...specs, copy], input))).toEqual(outcome(decide(specs, input)))
      }),
      { numRuns: 200 },
    )
  })

  it('identical duplicate rules in the evaluator never change the outcome', () => {
    const prepared = (spec: RuleSpec): PreparedRule => ({
      id: spec.id,
      effect: spec.effect,
      reason: spec.reason ?? (spec.effect === 'deny' ? 'RULE_DENY' : 'RULE_PERMIT'),
      actions: spec.actions,
      condition:
        spec.when === undefined ? undefined : compileCondition(spec.when, { path: 'when' }),
    })
    fc.assert(
      fc.property(
        rulesArbitrary,
        fc.array(fc.nat(), { maxLength: 4 }),
        inputArbitrary,
        (rules, picks, input) => {
          fc.pre(rules.length > 0)
          const base = rules.map(clean).map(prepared)
          const doubled = [...base, ...picks.map((pick) => base[pick % base.length]!)]
          const single = new PolicyEvaluator(base, []).evaluate(toInput(input))
          expect(outcome(new PolicyEvaluator(doubled, []).evaluate(toInput(input)))).toEqual(
            outcome(single),
          )
        },
      ),
      { numRuns: 150 },
    )
  })

  it('adding a permit rule never turns DENY into PERMIT', () => {
    assertWithExtraRule('p', 'permit', (before, after) => {
      fc.pre(before.decision === 'DENY')
      expect(after.decision).toBe('DENY')
    })
  })

  it('adding a deny rule never turns DENY or SILENCE into PERMIT', () => {
    assertWithExtraRule('q', 'deny', (before, after) => {
      if (before.decision !== 'PERMIT') expect(after.decision).not.toBe('PERMIT')
      if (before.decision === 'DENY') expect(after.decision).toBe('DENY')
    })
  })

  it('an evaluation error in any applicable rule never PERMITs', () => {
    fc.assert(
      fc.property(
        rulesArbitrary,
        fc.constantFrom('permit', 'deny') as fc.Arbitrary<'permit' | 'deny'>,
        inputArbitrary,
        (rules, effect, input) => {
          const specs = rules.map(clean)
          const broken: RuleSpec = {
            id: 'broken',
            effect,
            actions: ['**'],
            when: 'args.missing > 1',
          }
          const evaluation = decide([...specs, broken], input)
          expect(evaluation.decision).toBe('DENY')
        },
      ),
      { numRuns: 200 },
    )
  })
})
