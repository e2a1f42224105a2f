// What a model reads, by the kind of refusal: invalid input says what to fix (problem
// code and path); a policy that cannot be evaluated says it is not the call's fault; a
// policy refusal says not to retry. And the receipt can stay with the application.
import { WritError } from '@writ/verify'
import { describe, expect, it } from 'vitest'
import { createGate } from './gate.js'
import { generateSigningKey } from './keys.js'
import { compilePolicy } from './policy/index.js'
import { refusalPayload } from './refusal.js'
import type { RefusalDecision } from './types.js'

const gate = createGate({
  policy: compilePolicy(`
writ: 1
id: payments
rules:
  - id: small-transfers
    effect: permit
    actions: [payments.transfer]
    when: args.amount > 0 && args.amount <= 1000
  - id: sanctioned
    effect: deny
    actions: [payments.transfer]
    when: args.to == 'mallory'
    reason: SANCTIONED_PAYEE
`),
  keys: generateSigningKey(),
  issuer: 'https://writ.test',
})

async function refused(args: unknown): Promise<RefusalDecision> {
  const decision = await gate.authorize({ action: 'payments.transfer', args: args as string })
  if (decision.decision === 'PERMIT') throw new Error('expected a refusal')
  return decision
}

describe('refusal wording by reason class', () => {
  it('invalid input: names the problem code and path and asks for a corrected call', async () => {
    const payload = refusalPayload(await refused('{"to":"a","amount":5,"amount":6}'))
    expect(payload.reason).toBe('INPUT_INVALID')
    expect(payload.problems).toEqual([
      expect.objectContaining({ code: 'INPUT_DUPLICATE_KEY', path: expect.any(String) }),
    ])
    const problem = payload.problems![0]!
    expect(payload.message).toContain(problem.code)
    expect(payload.message).toContain(String(problem.path))
    expect(payload.message).toMatch(/Correct the arguments/)
    expect(payload.message).not.toMatch(/policy denies/)
  })

  it('evaluation error: says it is not the call that failed, and not to retry', async () => {
    const payload = refusalPayload(await refused({ to: 'acme', amount: 'a lot' }))
    expect(payload.reason).toBe('EVAL_ERROR')
    expect(payload.message).toMatch(/not of your call/)
    expect(payload.message).toMatch(/Do not retry/)
    expect(payload.message).not.toMatch(/policy denies/)
    expect(payload.problems).toBeUndefined()
  })

  it('policy refusal: names decision, reason and rule, and says not to retry', async () => {
    const payload = refusalPayload(await refused({ to: 'mallory', amount: 5 }))
    expect(payload).toMatchObject({
      decision: 'DENY',
      reason: 'SANCTIONED_PAYEE',
      rule: 'sanctioned',
    })
    expect(payload.message).toMatch(/The policy denies it/)
    expect(payload.message).toMatch(/Do not retry/)
  })

  it('a gate failure is not the call: no fix is asked for', () => {
    const payload = refusalPayload(new WritError('STORE_UNAVAILABLE', 'disk gone'))
    expect(payload.message).toMatch(/not caused by your call/)
    expect(payload.message).not.toContain('disk gone')
  })

  it('a fixable error carries its problems (a tool schema) and asks for a corrected call', () => {
    const problems = [{ code: 'SCHEMA_MISMATCH', path: 'args.amount', message: 'must be positive' }]
    const payload = refusalPayload(
      new WritError('ARGS_MISMATCH', 'schema', { details: { problems } }),
    )
    expect(payload.problems).toEqual(problems)
    expect(payload.message).toContain('args.amount')
    expect(payload.message).toMatch(/Correct the call/)
  })

  it('leaves the receipt out of what the model reads when asked, keeping its id', async () => {
    const decision = await refused({ to: 'mallory', amount: 5 })
    const payload = refusalPayload(decision, { includeReceipt: false })
    expect(payload.receipt).toBeNull()
    expect(payload.receipt_id).toBe(decision.claims.jti)
    expect(JSON.stringify(payload).length).toBeLessThan(decision.receipt.length)
    expect(refusalPayload(decision).receipt).toBe(decision.receipt)
  })
})
