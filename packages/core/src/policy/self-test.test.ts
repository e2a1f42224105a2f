import { WritError } from '@writ/verify'
import { describe, expect, it } from 'vitest'
import { createGate } from '../gate.js'
import { generateSigningKey } from '../keys.js'
import { compilePolicy } from './compile-policy.js'
import { runPolicySelfTests } from './self-test.js'

const policyText = (tests: string) => `writ: 1
id: payments
rules:
  - id: small-transfers
    effect: permit
    actions: [payments.transfer]
    when: args.amount <= 1000 && args.amount > 0
    reason: SMALL_TRANSFER
  - id: blocked
    effect: deny
    actions: ['payments.*']
    when: "args.to.startsWith('sanctioned_')"
limits:
  - id: per-transfer
    actions: [payments.transfer]
    per: agent
    window: 24h
    sum: args.amount
    max: 500
    reason: TOO_MUCH_AT_ONCE
tests:
${tests}
`

const passing = `  - name: small transfer is permitted
    action: payments.transfer
    args: { to: acme, amount: 250 }
    expect: { decision: PERMIT, rule: small-transfers, reason: SMALL_TRANSFER }
  - name: sanctioned destination is refused
    action: payments.transfer
    args: { to: sanctioned_x, amount: 5 }
    expect: { decision: DENY, rule: blocked }
  - name: one transfer past the per-transfer limit
    action: payments.transfer
    args: { to: acme, amount: 900 }
    expect: { decision: DENY, rule: per-transfer, reason: TOO_MUCH_AT_ONCE }
  - name: unknown action is silence
    action: files.delete
    now: 2026-01-01T00:00:00Z
    expect: { decision: SILENCE, rule: null }
`

function caught(run: () => unknown): WritError {
  try {
    run()
  } catch (error) {
    if (WritError.isInstance(error)) return error
    throw error
  }
  throw new Error('expected a WritError')
}

describe('policy self-tests', () => {
  it('compiles a policy whose self-tests all pass, and reports each', () => {
    const policy = compilePolicy(policyText(passing))
    const results = runPolicySelfTests(policy)
    expect(results.map((result) => [result.name, result.pass])).toEqual([
      ['small transfer is permitted', true],
      ['sanctioned destination is refused', true],
      ['one transfer past the per-transfer limit', true],
      ['unknown action is silence', true],
    ])
  })

  it('refuses to compile when a test expects another decision, naming the test', () => {
    const error = caught(() =>
      compilePolicy(
        policyText(`${passing}  - name: large transfer must be denied
    action: payments.transfer
    args: { to: acme, amount: -5 }
    expect: { decision: DENY }
`),
        { source: 'payments.yaml' },
      ),
    )
    expect(error.code).toBe('POLICY_SELF_TEST_FAILED')
    expect(error.details).toMatchObject({
      source: 'payments.yaml',
      test: 'large transfer must be denied',
      failures: [{ name: 'large transfer must be denied', actual: { decision: 'SILENCE' } }],
    })
  })

  it('fails on a wrong rule or reason even when the decision matches', () => {
    const wrongRule = caught(() =>
      compilePolicy(
        policyText(`  - name: wrong rule
    action: payments.transfer
    args: { to: sanctioned_x, amount: 5 }
    expect: { decision: DENY, rule: small-transfers }
`),
      ),
    )
    expect(wrongRule.code).toBe('POLICY_SELF_TEST_FAILED')
    const wrongReason = caught(() =>
      compilePolicy(
        policyText(`  - name: wrong reason
    action: payments.transfer
    args: { to: acme, amount: 5 }
    expect: { decision: PERMIT, reason: RULE_PERMIT }
`),
      ),
    )
    expect(wrongReason.details).toMatchObject({ test: 'wrong reason' })
  })

  it('catches a condition that fails to evaluate (the silent-drop case) as a failing test', () => {
    // A typo makes the deny rule's condition a type error: it fails closed to EVAL_ERROR,
    // which the test expecting rule `blocked` catches at load instead of in production.
    const text = policyText(`  - name: sanctioned destination is refused by its rule
    action: payments.transfer
    args: { to: 42, amount: 5 }
    expect: { decision: DENY, rule: blocked, reason: RULE_DENY }
`)
    expect(caught(() => compilePolicy(text)).code).toBe('POLICY_SELF_TEST_FAILED')
  })

  it('rejects malformed tests and duplicate names as POLICY_INVALID', () => {
    const duplicate = `  - name: same
    action: files.delete
    expect: { decision: SILENCE }
  - name: same
    action: files.read
    expect: { decision: SILENCE }
`
    expect(caught(() => compilePolicy(policyText(duplicate))).code).toBe('POLICY_INVALID')
    const badDecision = `  - name: x
    action: files.delete
    expect: { decision: ALLOW }
`
    expect(caught(() => compilePolicy(policyText(badDecision))).code).toBe('POLICY_INVALID')
    const unknownMember = `  - name: x
    action: files.delete
    expect: { decision: SILENCE }
    skip: true
`
    expect(caught(() => compilePolicy(policyText(unknownMember))).code).toBe('POLICY_INVALID')
  })

  it('createGate and setPolicy refuse a policy object whose self-tests fail', () => {
    const good = compilePolicy(policyText(passing))
    // A policy changed after compiling (tests no longer match what it decides).
    const tampered = {
      ...good,
      evaluate: () => ({
        decision: 'PERMIT' as const,
        reason: 'RULE_PERMIT',
        rule: 'x',
        limits: [],
      }),
    }
    const keys = generateSigningKey()
    const refused = caught(() =>
      createGate({ policy: tampered, keys, issuer: 'https://w.example' }),
    )
    expect(refused.code).toBe('POLICY_SELF_TEST_FAILED')
    const gate = createGate({ policy: good, keys, issuer: 'https://w.example' })
    expect(caught(() => gate.setPolicy(tampered)).code).toBe('POLICY_SELF_TEST_FAILED')
    expect(gate.policy).toBe(good)
  })
})
