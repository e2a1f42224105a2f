/**
 * The authorize hot path encodes receipts with Node's native base64url and lets `guard`
 * trust its own PERMITs: the bytes must stay exactly those of the portable encoding,
 * and a PERMIT that did not come from a local gate is still checked.
 */
import * as ed from '@noble/ed25519'
import { sha512 } from '@noble/hashes/sha2.js'
import { createKeyRing, generateSigningKey, guardAction, type PermitDecision } from '@writ/core'
import { encodeReceipt } from '@writ/core/internal'
import { base64UrlDecode, base64UrlEncode, utf8Encode } from '@writ/verify/internal'
import { describe, expect, it } from 'vitest'
import { makeGate, rejectionCode } from './support.js'

ed.hashes.sha512 = sha512

describe('receipt bytes', () => {
  it('equal the portable RFC 7515 encoding of the claims, signature included', async () => {
    const key = generateSigningKey()
    const ring = createKeyRing(key)
    const gate = makeGate({ keys: ring })
    const decision = await gate.authorize({
      action: 'payments.transfer',
      args: { amount: 5, memo: 'héllo ✓ 𝄞' },
      agent: 'agent:ü',
    })
    const header = base64UrlEncode(
      utf8Encode(`{"alg":"EdDSA","typ":"writ-receipt+jwt","kid":${JSON.stringify(key.kid)}}`),
    )
    const payload = base64UrlEncode(utf8Encode(JSON.stringify(decision.claims)))
    const signingInput = `${header}.${payload}`
    const signature = base64UrlEncode(ed.sign(utf8Encode(signingInput), base64UrlDecode(key.d)))
    expect(decision.receipt).toBe(`${signingInput}.${signature}`)
    expect(encodeReceipt(decision.claims, ring.active)).toBe(decision.receipt)
  })
})

describe('guard on PERMITs it did not issue', () => {
  it('a copied PERMIT with other arguments never runs', async () => {
    const gate = makeGate()
    const real = await gate.authorize({ action: 'payments.transfer', args: { amount: 5 } })
    expect(real.decision).toBe('PERMIT')
    const forged = { ...(real as PermitDecision), args: Object.freeze({ amount: 1_000_000 }) }
    let ran = false
    const code = await rejectionCode(
      guardAction(
        { authorize: async () => forged },
        { action: 'payments.transfer', args: {} },
        () => {
          ran = true
        },
      ),
    )
    expect(code).toBe('ARGS_MISMATCH')
    expect(ran).toBe(false)
  })

  it.each([
    ['no decision', undefined, 'GATE_ERROR'],
    ['a string', 'PERMIT', 'GATE_ERROR'],
    ['an unknown decision', { decision: 'ALLOW' }, 'GATE_ERROR'],
    ['a PERMIT without claims', { decision: 'PERMIT', args: { amount: 5 } }, 'GATE_ERROR'],
    [
      'a PERMIT with DENY claims',
      { decision: 'PERMIT', args: { amount: 5 }, claims: { decision: 'DENY' } },
      'NOT_PERMIT',
    ],
  ])('a gate answering %s never runs the action', async (_name, answer, expected) => {
    let ran = false
    const code = await rejectionCode(
      guardAction(
        { authorize: async () => answer as never },
        { action: 'payments.transfer', args: { amount: 5 } },
        () => {
          ran = true
        },
      ),
    )
    expect(code).toBe(expected)
    expect(ran).toBe(false)
  })

  it('a gate that throws a non-Writ error, or never answers within its timeout, runs nothing', async () => {
    let ran = false
    expect(
      await rejectionCode(
        guardAction(
          {
            authorize: async () => {
              throw new TypeError('boom')
            },
          },
          { action: 'payments.transfer', args: { amount: 5 } },
          () => {
            ran = true
          },
        ),
      ),
    ).toBe('GATE_ERROR')
    const slowStore = makeGate().store
    const gate = makeGate({
      timeoutMs: 20,
      store: {
        ...slowStore,
        replay: slowStore.replay,
        append: () => new Promise(() => undefined),
      },
    })
    expect(
      await rejectionCode(
        gate.guard({ action: 'payments.transfer', args: { amount: 5 } }, () => {
          ran = true
        }),
      ),
    ).toBe('GATE_TIMEOUT')
    expect(ran).toBe(false)
  })
})
