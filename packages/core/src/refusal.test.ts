import { WritError } from '@writ/verify'
import { describe, expect, it } from 'vitest'
import { createGate } from './gate.js'
import { generateSigningKey } from './keys.js'
import { compilePolicy } from './policy/index.js'
import { ActionRefusedError, refusalOf, refusalPayload } from './refusal.js'
import type { RefusalDecision } from './types.js'

const gate = createGate({
  policy: compilePolicy(`
writ: 1
id: refusals
rules:
  - id: no-delete
    effect: deny
    actions: [files.delete]
    reason: DESTRUCTIVE
`),
  keys: generateSigningKey(),
  issuer: 'https://writ.test',
})

async function refusal(action: string): Promise<RefusalDecision> {
  const decision = await gate.authorize({ action, args: {} })
  if (decision.decision === 'PERMIT') throw new Error('expected a refusal')
  return decision
}

describe('refusals', () => {
  it('carries the decision on an ACTION_REFUSED error', async () => {
    const deny = await refusal('files.delete')
    const error = new ActionRefusedError(deny)
    expect(WritError.isInstance(error)).toBe(true)
    expect(error.code).toBe('ACTION_REFUSED')
    expect(refusalOf(error)).toBe(deny)
    expect(refusalOf(new WritError('GATE_TIMEOUT', 'slow'))).toBeUndefined()
    expect(refusalOf(new Error('x'))).toBeUndefined()
    expect(refusalOf(deny)).toBeUndefined()
  })

  it('makes the same payload from a refusal and from its error', async () => {
    const deny = await refusal('files.delete')
    const payload = refusalPayload(deny)
    expect(payload).toEqual({
      writ: 'refused',
      decision: 'DENY',
      reason: 'DESTRUCTIVE',
      rule: 'no-delete',
      receipt_id: deny.claims.jti,
      receipt: deny.receipt,
      message: expect.any(String),
    })
    expect(payload.message).toContain('DENY')
    expect(payload.message).toContain('DESTRUCTIVE')
    expect(payload.message).toContain(deny.claims.jti)
    expect(refusalPayload(new ActionRefusedError(deny))).toEqual(payload)
    const silence = refusalPayload(await refusal('files.read'))
    expect(silence).toMatchObject({ decision: 'SILENCE', reason: 'NO_APPLICABLE_RULE', rule: null })
    expect(silence.message).toContain('SILENCE')
  })

  it('reports gate failures as ERROR with the code, and leaks no message', () => {
    expect(refusalPayload(new WritError('GATE_TIMEOUT', 'internal detail 42'))).toEqual({
      writ: 'refused',
      decision: 'ERROR',
      reason: 'GATE_TIMEOUT',
      rule: null,
      receipt_id: null,
      receipt: null,
      message: expect.stringContaining('GATE_TIMEOUT'),
    })
    const unknown = refusalPayload(new Error('password=hunter2'))
    expect(unknown).toMatchObject({ decision: 'ERROR', reason: 'GATE_ERROR', receipt: null })
    expect(unknown.message).not.toContain('hunter2')
    expect(refusalPayload(undefined).reason).toBe('GATE_ERROR')
    expect(JSON.parse(JSON.stringify(unknown))).toEqual(unknown)
  })
})
