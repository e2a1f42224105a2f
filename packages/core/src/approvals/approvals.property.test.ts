import type { JsonObject } from '@writ/verify'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { compilePolicy } from '../policy/index.js'
import type { Evaluation } from '../policy/policy-types.js'
import { createApprovalsFixture } from '../testing/approvals-fixture.js'

// The approval algebra of RECEIPT-SPEC section 11, on random policies and random answers.

const conditions = [undefined, 'args.x > 0', 'args.x < 1', 'false', 'true', 'args.missing > 1']
type Effect = 'permit' | 'deny' | 'approve'
interface RuleSpec {
  readonly id: string
  readonly effect: Effect
  readonly when: string | undefined
}

const rulesArbitrary = fc.uniqueArray(
  fc.record({
    id: fc.integer({ min: 0, max: 20 }).map((n) => `r${String(n).padStart(2, '0')}`),
    effect: fc.constantFrom<Effect>('permit', 'deny', 'approve'),
    when: fc.constantFrom(...conditions),
  }),
  { selector: (rule) => rule.id, maxLength: 7 },
)

function evaluate(rules: readonly RuleSpec[], x: number): Evaluation {
  const document = {
    writ: 1,
    id: 'p',
    rules: rules.map((rule) => ({
      id: rule.id,
      effect: rule.effect,
      actions: ['pay.transfer'],
      ...(rule.when === undefined ? {} : { when: rule.when }),
      ...(rule.effect === 'approve' ? { approvers: 'finance' } : {}),
    })),
  }
  return compilePolicy(document as unknown as JsonObject).evaluate({
    action: 'pay.transfer',
    args: { x },
    agent: 'a',
    context: {},
    now: 0,
  })
}

/** Whether a rule holds for `x`: true, false, or 'error' when its condition fails. */
function holds(rule: RuleSpec, x: number): boolean | 'error' {
  switch (rule.when) {
    case undefined:
    case 'true':
      return true
    case 'false':
      return false
    case 'args.x > 0':
      return x > 0
    case 'args.x < 1':
      return x < 1
    default:
      return 'error'
  }
}

/** Spec section 11 read directly: deny > (evaluation error) > approve > permit > silence. */
function oracle(rules: readonly RuleSpec[], x: number): [string, string | null, string] {
  const smallest = (list: RuleSpec[]) => list.map((rule) => rule.id).sort()[0] ?? null
  const holding = (effect: Effect) =>
    rules.filter((rule) => rule.effect === effect && holds(rule, x) === true)
  const denies = holding('deny')
  if (denies.length > 0) return ['DENY', smallest(denies), 'RULE_DENY']
  const failing = rules.filter((rule) => holds(rule, x) === 'error')
  if (failing.length > 0) return ['DENY', smallest(failing), 'EVAL_ERROR']
  const approves = holding('approve')
  if (approves.length > 0) return ['SILENCE', smallest(approves), 'APPROVAL_REQUIRED']
  const permits = holding('permit')
  if (permits.length > 0) return ['PERMIT', smallest(permits), 'RULE_PERMIT']
  return ['SILENCE', null, rules.length === 0 ? 'NO_APPLICABLE_RULE' : 'CONDITION_FALSE']
}

describe('approvals: properties', () => {
  it('precedence is deny > approve > permit > silence, whatever the order of rules', () => {
    fc.assert(
      fc.property(rulesArbitrary, fc.integer({ min: -2, max: 2 }), (rules, x) => {
        const evaluation = evaluate(rules, x)
        expect([evaluation.decision, evaluation.rule, evaluation.reason]).toEqual(oracle(rules, x))
        expect(evaluation.approval !== undefined).toBe(evaluation.reason === 'APPROVAL_REQUIRED')
        const reversed = evaluate([...rules].reverse(), x)
        expect([reversed.decision, reversed.rule]).toEqual([evaluation.decision, evaluation.rule])
      }),
      { numRuns: 200 },
    )
  })

  it('adding an approve rule never turns a refusal into a PERMIT', () => {
    fc.assert(
      fc.property(
        rulesArbitrary,
        fc.integer({ min: -2, max: 2 }),
        fc.constantFrom(...conditions),
        (rules, x, when) => {
          const before = evaluate(rules, x)
          const after = evaluate(
            [...rules.filter((rule) => rule.id !== 'z99'), { id: 'z99', effect: 'approve', when }],
            x,
          )
          if (before.decision !== 'PERMIT') expect(after.decision).not.toBe('PERMIT')
        },
      ),
      { numRuns: 150 },
    )
  })

  it('a hold yields a PERMIT only with a quorum of distinct approvers, none the agent, and at most once', async () => {
    const answers = fc.array(
      fc.constantFrom('alice', 'bob', 'carol', 'agent-7', 'mallory', 'alice'),
      {
        maxLength: 6,
      },
    )
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        answers,
        fc.integer({ min: 1, max: 6 }),
        async (quorum, approvers, asks) => {
          const fixture = createApprovalsFixture({ quorum })
          const request = { action: 'payments.transfer', args: { to: 'acme', amount: 5000 } }
          const held = await fixture.gate.authorize(request)
          const counted = new Set<string>()
          for (const [index, approver] of approvers.entries()) {
            const approval = fixture.approve(held.receipt, approver, 'approve', {
              now: Math.floor(Date.now() / 1000) - index,
            })
            const accepted = await fixture.gate.holds.submit(approval).then(
              () => true,
              () => false,
            )
            const eligible = ['alice', 'bob', 'carol'].includes(approver) && !counted.has(approver)
            expect(accepted).toBe(eligible)
            if (eligible) counted.add(approver)
          }
          let runs = 0
          await Promise.allSettled(
            Array.from({ length: asks }, () =>
              fixture.gate.guard(request, () => {
                runs += 1
              }),
            ),
          )
          expect(runs).toBe(counted.size >= quorum ? 1 : 0)
        },
      ),
      { numRuns: 40 },
    )
  })
})
