/**
 * Spot checks of RECEIPT-SPEC MUSTs across packages, against public vectors where they
 * exist: kid thumbprints, checkpoint wire form, decision tie-breaking and error naming.
 */
import { compilePolicy } from '@writ/core'
import { createKeySet, jwkThumbprint, verifyChain, verifyCheckpoint } from '@writ/verify'
import { base64UrlDecode, utf8Decode } from '@writ/verify/internal'
import { describe, expect, it } from 'vitest'
import { makeGate } from './support.js'

function decodePart(part: string): unknown {
  return JSON.parse(utf8Decode(base64UrlDecode(part)))
}

describe('keys', () => {
  it('kid is the RFC 7638 thumbprint (RFC 8037 appendix A.3 vector)', () => {
    const x = '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo'
    expect(jwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x })).toBe(
      'kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k',
    )
    expect(() => createKeySet({ keys: [{ kty: 'OKP', crv: 'Ed25519', x, kid: 'other' }] })).toThrow(
      expect.objectContaining({ code: 'KEYSET_INVALID' }),
    )
  })
})

describe('checkpoints', () => {
  it('have the exact header and claims of section 5 and pin the chain', async () => {
    const gate = makeGate()
    const empty = await gate.checkpoint()
    expect(decodePart(empty.token.split('.')[1]!)).toMatchObject({ size: 0, head: null })
    await gate.authorize({ action: 'payments.transfer', args: { amount: 5 } })
    await gate.authorize({ action: 'exports.all', args: {} })
    const checkpoint = await gate.checkpoint()
    const [header, claims] = checkpoint.token.split('.')
    const kid = (await gate.keys()).keys[0]!.kid
    expect(utf8Decode(base64UrlDecode(header!))).toBe(
      `{"alg":"EdDSA","typ":"writ-checkpoint+jwt","kid":"${kid}"}`,
    )
    expect(Object.keys(decodePart(claims!) as object)).toEqual([
      'v',
      'iss',
      'chain',
      'size',
      'head',
      'iat',
    ])
    await expect(verifyCheckpoint(checkpoint.token, gate.verifyKeys())).resolves.toMatchObject({
      claims: { chain: gate.chainId, size: 2 },
    })
    const tokens: string[] = []
    for await (const stored of gate.store.receipts(gate.chainId)) tokens.push(stored.token)
    const valid = await verifyChain(tokens, gate.verifyKeys(), { checkpoints: [checkpoint.token] })
    expect(valid).toMatchObject({ valid: true, size: 2 })
    const truncated = await verifyChain(tokens.slice(0, 1), gate.verifyKeys(), {
      checkpoints: [checkpoint.token],
    })
    expect(truncated).toMatchObject({ valid: false, code: 'CHECKPOINT_MISMATCH', seq: 1 })
    // A checkpoint is not a receipt, and a receipt is not a checkpoint.
    const asReceipt = await verifyChain([checkpoint.token], gate.verifyKeys())
    expect(asReceipt).toMatchObject({ valid: false, code: 'HEADER_INVALID' })
  })
})

describe('deciding (section 3)', () => {
  const policy = compilePolicy(`
writ: 1
id: decide
rules:
  - id: b-permit
    effect: permit
    actions: [x.*]
  - id: a-permit
    effect: permit
    actions: [x.*]
    reason: FIRST_PERMIT
  - id: z-deny
    effect: deny
    actions: [x.deny]
    when: args.flag == true
  - id: m-deny
    effect: deny
    actions: [x.deny]
    when: args.flag == true
    reason: M_DENY
  - id: c-broken
    effect: permit
    actions: [x.error]
    when: args.missing > 1
  - id: d-broken
    effect: deny
    actions: [x.error, x.deny]
    when: args.missing > 1
  - id: q-false
    effect: permit
    actions: [y.false]
    when: "false"
`)
  const evaluate = (action: string, args: Record<string, boolean | number> = {}) =>
    policy.evaluate({ action, args, agent: 'bot', context: {}, now: 0 })

  it('reports the smallest holding id, its reason, and the right SILENCE reasons', () => {
    expect(evaluate('x.go')).toMatchObject({
      decision: 'PERMIT',
      rule: 'a-permit',
      reason: 'FIRST_PERMIT',
    })
    expect(evaluate('x.deny', { flag: true, missing: 0 })).toMatchObject({
      decision: 'DENY',
      rule: 'm-deny',
      reason: 'M_DENY',
    })
    expect(evaluate('nothing')).toMatchObject({
      decision: 'SILENCE',
      rule: null,
      reason: 'NO_APPLICABLE_RULE',
    })
    expect(evaluate('y.false')).toMatchObject({
      decision: 'SILENCE',
      rule: null,
      reason: 'CONDITION_FALSE',
    })
  })

  it('an evaluation error is DENY EVAL_ERROR naming the smallest failing rule, never PERMIT', () => {
    expect(evaluate('x.error')).toMatchObject({
      decision: 'DENY',
      reason: 'EVAL_ERROR',
      rule: 'c-broken',
    })
    // A holding deny reports itself even when another applicable rule fails.
    expect(evaluate('x.deny', { flag: true })).toMatchObject({ decision: 'DENY', rule: 'm-deny' })
    expect(evaluate('x.deny', { flag: false })).toMatchObject({
      decision: 'DENY',
      reason: 'EVAL_ERROR',
      rule: 'd-broken',
    })
  })
})
