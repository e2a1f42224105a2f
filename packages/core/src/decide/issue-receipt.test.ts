import { createKeySet, verifyReceipt } from '@writ/verify'
import { describe, expect, it } from 'vitest'
import { thrownCode } from '../../test/support.js'
import { createKeyRing } from '../key-ring.js'
import { generateSigningKey } from '../keys.js'
import { compilePolicy } from '../policy/index.js'
import { paymentsPolicyText } from '../testing/payments-fixture.js'
import { draftReceipt, issueReceipt } from './issue-receipt.js'
import { normalizeRequest } from './normalize-request.js'

const policy = compilePolicy(paymentsPolicyText)
const request = normalizeRequest(
  { action: 'payments.transfer', args: { amount: 5 }, agent: 'agent-1', request: 'req-1' },
  { defaultAgent: 'x', jsonLimits: undefined, nextId: () => 'unused' },
)
const draft = draftReceipt(request, {
  issuer: 'https://writ.test',
  jti: 'jti-1',
  iat: 1_700_000_000,
  ttlSeconds: 60,
  policy,
})
const position = { chainId: 'main', seq: 0, prev: null }

describe('draftReceipt', () => {
  it('fixes everything but the outcome and the chain position', () => {
    expect(draft).toEqual({
      iss: 'https://writ.test',
      jti: 'jti-1',
      iat: 1_700_000_000,
      exp: 1_700_000_060,
      sub: 'agent-1',
      aud: undefined,
      req: 'req-1',
      policy: { id: 'payments', digest: policy.digest },
      act: { name: 'payments.transfer', args: request.argsDigest },
      http: undefined,
    })
  })
})

describe('issueReceipt', () => {
  it('signs frozen claims that verify, reserving the limits only for a PERMIT', async () => {
    const ring = createKeyRing(generateSigningKey())
    const outcome = { decision: 'PERMIT', reason: 'RULE_PERMIT', rule: 'small-transfers' } as const
    const issued = issueReceipt(draft, outcome, position, ring.active)
    expect(issued.reserve).toBe(true)
    expect(Object.isFrozen(issued.claims)).toBe(true)
    expect(Object.isFrozen(issued.claims.act)).toBe(true)
    const verified = await verifyReceipt(issued.token, createKeySet(ring.jwks()))
    expect(verified.claims).toMatchObject({ ...outcome, chain: { id: 'main', seq: 0, prev: null } })
    const deny = { decision: 'DENY', reason: 'DAILY_SPEND', rule: 'daily' } as const
    expect(issueReceipt(draft, deny, position, ring.active).reserve).toBe(false)
  })

  it('refuses to sign with a key not valid at the decision time', () => {
    const key = generateSigningKey({ exp: 1_600_000_000 })
    const ring = createKeyRing(key, { clock: () => 1_500_000_000_000 })
    const outcome = { decision: 'SILENCE', reason: 'NO_APPLICABLE_RULE', rule: null } as const
    expect(thrownCode(() => issueReceipt(draft, outcome, position, ring.active))).toBe(
      'KEY_INVALID',
    )
  })
})
