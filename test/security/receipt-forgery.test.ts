/**
 * Forging, moving and replaying receipts: a receipt authorizes exactly one action, with
 * exactly its arguments, for its audience, once, while it is current, and only when a
 * trusted strong key signed it.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as ed from '@noble/ed25519'
import { sha512 } from '@noble/hashes/sha2.js'
import { compilePolicy } from '@writ/core'
import { createSqliteStore } from '@writ/store-sqlite'
import {
  createKeySet,
  httpRequestView,
  jwkThumbprint,
  type PublicJwk,
  verifyPermit,
  verifyReceipt,
} from '@writ/verify'
import { base64UrlDecode, base64UrlEncode, utf8Decode, utf8Encode } from '@writ/verify/internal'
import { describe, expect, it } from 'vitest'
import { makeGate, rejectionCode } from './support.js'

ed.hashes.sha512 = sha512

/** What verifying `permit`'s own receipt must give back: that token, a PERMIT, its id. */
function permitted(permit: {
  readonly receipt: string
  readonly claims: { readonly jti: string }
}) {
  return { token: permit.receipt, claims: { decision: 'PERMIT', jti: permit.claims.jti } }
}

function publicJwk(x: Uint8Array, extra: Partial<PublicJwk> = {}): PublicJwk {
  const encoded = base64UrlEncode(x)
  return {
    kty: 'OKP',
    crv: 'Ed25519',
    x: encoded,
    kid: jwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x: encoded }),
    ...extra,
  }
}

function part(value: unknown): string {
  return base64UrlEncode(utf8Encode(typeof value === 'string' ? value : JSON.stringify(value)))
}

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(utf8Decode(base64UrlDecode(token.split('.')[1]!))) as Record<string, unknown>
}

function hexBytes(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g)!.map((byte) => Number.parseInt(byte, 16)))
}

describe('forgery with weak or foreign keys', () => {
  const identity = hexBytes(`01${'00'.repeat(31)}`)
  const orderEight = hexBytes('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a')
  // y = p (non-canonical encoding of y = 0).
  const nonCanonical = hexBytes(`ed${'ff'.repeat(30)}7f`)

  it.each([
    ['the identity', identity],
    ['a point of order 8', orderEight],
    ['a non-canonical encoding', nonCanonical],
  ])('a key set holding %s verifies nothing: KEY_WEAK', async (_name, x) => {
    const gate = makeGate()
    const genuine = await gate.authorize({ action: 'payments.transfer', args: { amount: 5 } })
    const weak = publicJwk(x)
    const keys = createKeySet({ keys: [weak] })
    const header = part({ alg: 'EdDSA', typ: 'writ-receipt+jwt', kid: weak.kid })
    const claims = genuine.receipt.split('.')[1]!
    // The classic identity-key forgery: R = identity, S = 0 satisfies [S]B = R + [k]A.
    const signature = base64UrlEncode(new Uint8Array([...identity, ...new Uint8Array(32)]))
    const forged = `${header}.${claims}.${signature}`
    expect(await rejectionCode(verifyReceipt(forged, keys))).toBe('KEY_WEAK')
    expect(
      await rejectionCode(
        verifyPermit(forged, keys, { action: 'payments.transfer', args: { amount: 5 } }),
      ),
    ).toBe('KEY_WEAK')
  })

  it('a kid naming another trusted key does not carry the signature: SIGNATURE_INVALID', async () => {
    const gate = makeGate()
    const other = makeGate()
    const genuine = await gate.authorize({ action: 'payments.transfer', args: { amount: 5 } })
    const keys = createKeySet({
      keys: [...(await gate.keys()).keys, ...(await other.keys()).keys],
    })
    const otherKid = (await other.keys()).keys[0]!.kid
    const [, claims, signature] = genuine.receipt.split('.')
    const moved = `${part({ alg: 'EdDSA', typ: 'writ-receipt+jwt', kid: otherKid })}.${claims}.${signature}`
    expect(await rejectionCode(verifyReceipt(moved, keys))).toBe('SIGNATURE_INVALID')
  })

  it.each([
    [{ alg: 'none', typ: 'writ-receipt+jwt' }],
    [{ alg: 'HS256', typ: 'writ-receipt+jwt' }],
    [{ alg: 'Ed25519', typ: 'writ-receipt+jwt' }],
    [{ alg: 'EdDSA', typ: 'JWT' }],
    [{ alg: 'EdDSA', typ: 'writ-checkpoint+jwt' }],
    [{ alg: 'EdDSA', typ: 'writ-receipt+jwt', jwk: { kty: 'OKP' } }],
    [{ alg: 'EdDSA', typ: 'writ-receipt+jwt', jku: 'https://evil.example/keys' }],
    [{ alg: 'EdDSA', typ: 'writ-receipt+jwt', crit: ['exp'] }],
    [{ alg: 'EdDSA', typ: 'writ-receipt+jwt', b64: false }],
  ])('header %j is HEADER_INVALID even when signed by the trusted key', async (header) => {
    const seed = crypto.getRandomValues(new Uint8Array(32))
    const jwk = publicJwk(ed.getPublicKey(seed))
    const gate = makeGate()
    const genuine = await gate.authorize({ action: 'payments.transfer', args: { amount: 5 } })
    const signingInput = `${part({ ...header, kid: jwk.kid })}.${genuine.receipt.split('.')[1]}`
    const token = `${signingInput}.${base64UrlEncode(ed.sign(utf8Encode(signingInput), seed))}`
    expect(await rejectionCode(verifyReceipt(token, { keys: [jwk] }))).toBe('HEADER_INVALID')
  })
})

describe('a PERMIT bound to one action', () => {
  it('is refused for another action, other arguments, another request, another audience', async () => {
    const gate = makeGate({
      policy: compilePolicy(`
writ: 1
id: http-transfers
rules:
  - id: small-transfers
    effect: permit
    actions: [payments.transfer]
    when: args.body.amount <= 1000
`),
    })
    const keys = gate.verifyKeys()
    const request = {
      method: 'POST',
      uri: 'https://pay.example/v1/transfers?to=alice',
      contentType: 'application/json',
      body: new TextEncoder().encode('{"amount":250.0,"to":"alice"}'),
    }
    const permit = await gate.authorize({
      action: 'payments.transfer',
      audience: 'https://pay.example',
      httpRequest: request,
    })
    expect(permit.decision).toBe('PERMIT')
    const view = httpRequestView(request)
    const expected = {
      action: 'payments.transfer',
      argsDigest: view.argsDigest,
      audience: 'https://pay.example',
      http: view.binding,
    }
    await expect(verifyPermit(permit.receipt, keys, expected)).resolves.toMatchObject({
      claims: {
        decision: 'PERMIT',
        aud: 'https://pay.example',
        act: { name: 'payments.transfer', args: view.argsDigest },
      },
    })
    const other = (change: Partial<typeof request>) => httpRequestView({ ...request, ...change })
    const cases: [string, object][] = [
      ['ACTION_MISMATCH', { action: 'payments.refund' }],
      [
        'ARGS_MISMATCH',
        {
          argsDigest: other({ body: new TextEncoder().encode('{"amount":251,"to":"alice"}') })
            .argsDigest,
        },
      ],
      [
        'ARGS_MISMATCH',
        { argsDigest: other({ uri: 'https://pay.example/v1/transfers?to=mallory' }).argsDigest },
      ],
      ['ARGS_MISMATCH', { args: { to: 'alice', amount: 250 } }],
      [
        'HTTP_MISMATCH',
        { http: other({ uri: 'https://pay.example/v1/transfers?to=mallory' }).binding },
      ],
      ['HTTP_MISMATCH', { http: { ...view.binding, method: 'PUT' } }],
      ['HTTP_MISMATCH', { http: { ...view.binding, body: `sha256:${'c'.repeat(64)}` } }],
      ['HTTP_MISMATCH', { http: undefined }],
      ['AUDIENCE_MISMATCH', { audience: 'https://other.example' }],
      ['AUDIENCE_MISMATCH', { audience: undefined }],
    ]
    for (const [code, change] of cases) {
      expect(
        await rejectionCode(verifyPermit(permit.receipt, keys, { ...expected, ...change })),
        JSON.stringify(change),
      ).toBe(code)
    }
  })

  it('a DENY or SILENCE receipt authorizes nothing: NOT_PERMIT', async () => {
    const gate = makeGate()
    const keys = gate.verifyKeys()
    const deny = await gate.authorize({ action: 'exports.all', args: {} })
    const silence = await gate.authorize({ action: 'payments.transfer', args: { amount: 5000 } })
    expect(deny.decision).toBe('DENY')
    expect(silence.decision).toBe('SILENCE')
    for (const [decision, args] of [
      [deny, {}],
      [silence, { amount: 5000 }],
    ] as const) {
      expect(
        await rejectionCode(
          verifyPermit(decision.receipt, keys, { action: decision.claims.act.name, args }),
        ),
      ).toBe('NOT_PERMIT')
    }
  })
})

describe('time', () => {
  const start = Date.UTC(2031, 5, 1)
  const iat = Math.floor(start / 1000)

  it('skew and expiry bounds are inclusive exactly where the spec says', async () => {
    const gate = makeGate({ clock: () => start, ttlSeconds: 120 })
    const permit = await gate.authorize({ action: 'payments.transfer', args: { amount: 5 } })
    const keys = gate.verifyKeys()
    const expected = { action: 'payments.transfer', args: { amount: 5 } }
    await expect(
      verifyPermit(permit.receipt, keys, { ...expected, now: iat - 60, skewSeconds: 60 }),
    ).resolves.toMatchObject(permitted(permit))
    expect(
      await rejectionCode(
        verifyPermit(permit.receipt, keys, { ...expected, now: iat - 61, skewSeconds: 60 }),
      ),
    ).toBe('NOT_YET_VALID')
    await expect(
      verifyPermit(permit.receipt, keys, { ...expected, now: iat + 120 }),
    ).resolves.toMatchObject(permitted(permit))
    expect(
      await rejectionCode(verifyPermit(permit.receipt, keys, { ...expected, now: iat + 121 })),
    ).toBe('EXPIRED')
    // Authenticity alone does not expire.
    await expect(verifyReceipt(permit.receipt, keys)).resolves.toMatchObject(permitted(permit))
  })

  it("a key's window is inclusive, and a receipt outside it is KEY_NOT_VALID_AT_TIME", async () => {
    const gate = makeGate({ clock: () => start })
    const permit = await gate.authorize({ action: 'payments.transfer', args: { amount: 5 } })
    const jwk = (await gate.keys()).keys[0]!
    const window = (nbf: number, exp: number) => createKeySet({ keys: [{ ...jwk, nbf, exp }] })
    await expect(verifyReceipt(permit.receipt, window(iat, iat))).resolves.toMatchObject(
      permitted(permit),
    )
    expect(await rejectionCode(verifyReceipt(permit.receipt, window(iat + 1, iat + 5)))).toBe(
      'KEY_NOT_VALID_AT_TIME',
    )
    expect(await rejectionCode(verifyReceipt(permit.receipt, window(iat - 5, iat - 1)))).toBe(
      'KEY_NOT_VALID_AT_TIME',
    )
    expect(
      await rejectionCode(
        verifyReceipt(permit.receipt, createKeySet({ keys: [{ ...jwk, status: 'revoked' }] })),
      ),
    ).toBe('KEY_REVOKED')
    expect(claimsOf(permit.receipt)['iat']).toBe(iat)
  })
})

describe('single use across executors', () => {
  it('two executors sharing one SQLite store run a PERMIT once', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'writ-security-'))
    const shared = createSqliteStore({ path: join(directory, 'replay.db') })
    const second = createSqliteStore({ path: join(directory, 'replay.db') })
    try {
      const gate = makeGate()
      const keys = gate.verifyKeys()
      const permit = await gate.authorize({ action: 'payments.transfer', args: { amount: 5 } })
      const expected = { action: 'payments.transfer', args: { amount: 5 } }
      await expect(
        verifyPermit(permit.receipt, keys, { ...expected, replay: shared.replay }),
      ).resolves.toMatchObject(permitted(permit))
      expect(
        await rejectionCode(
          verifyPermit(permit.receipt, keys, { ...expected, replay: second.replay }),
        ),
      ).toBe('REPLAYED')
    } finally {
      await shared.close()
      await second.close()
    }
  })

  it('a refused check does not burn the receipt; a closed cache never passes', async () => {
    const gate = makeGate()
    const keys = gate.verifyKeys()
    const permit = await gate.authorize({ action: 'payments.transfer', args: { amount: 5 } })
    const replay = gate.store.replay
    expect(
      await rejectionCode(
        verifyPermit(permit.receipt, keys, {
          action: 'payments.transfer',
          args: { amount: 6 },
          replay,
        }),
      ),
    ).toBe('ARGS_MISMATCH')
    await expect(
      verifyPermit(permit.receipt, keys, {
        action: 'payments.transfer',
        args: { amount: 5 },
        replay,
      }),
    ).resolves.toMatchObject(permitted(permit))
    const later = await gate.authorize({ action: 'payments.transfer', args: { amount: 5 } })
    await gate.store.close()
    expect(
      await rejectionCode(
        verifyPermit(later.receipt, keys, {
          action: 'payments.transfer',
          args: { amount: 5 },
          replay,
        }),
      ),
    ).toBe('REPLAY_CACHE_UNAVAILABLE')
  })
})
