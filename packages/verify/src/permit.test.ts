import { describe, expect, it } from 'vitest'
import { asyncCodeOf } from '../test/codes.js'
import { createTestKey, NOW, receiptClaims, signReceipt, ZERO_DIGEST } from '../test/helpers.js'
import { canonicalArgs } from './canonical-args.js'
import { digestOf } from './digest.js'
import { createKeySet } from './key-set.js'
import { type PermitExpectation, verifyPermit } from './permit.js'
import { createMemoryReplayCache } from './replay-cache.js'
import type { ReplayCache } from './types.js'

const key = createTestKey()
const keys = createKeySet({ keys: [key.jwk] })
const rawArgs = '{"to":"acct_42","amount":250.0,"currency":"EUR"}'
const argsDigest = canonicalArgs(rawArgs).digest
const http = {
  method: 'POST',
  uri: 'https://pay.example/v1/transfers?idempotency=7',
  body: digestOf(rawArgs),
}

function permit(overrides: Record<string, unknown> = {}): string {
  return signReceipt(
    key,
    receiptClaims({ act: { name: 'payments.transfer', args: argsDigest }, ...overrides }),
  )
}

const expectation: PermitExpectation = {
  action: 'payments.transfer',
  args: rawArgs,
  audience: 'payments-api',
  now: NOW + 10,
}

describe('verifyPermit', () => {
  it('accepts a matching PERMIT (raw text, object with 250, or digest)', async () => {
    expect((await verifyPermit(permit(), keys, expectation)).claims.decision).toBe('PERMIT')
    const asObject = { ...expectation, args: { currency: 'EUR', amount: 250, to: 'acct_42' } }
    expect((await verifyPermit(permit(), keys, asObject)).claims.act.args).toBe(argsDigest)
    const { args: _args, ...withoutArgs } = expectation
    expect(
      (await verifyPermit(permit(), keys, { ...withoutArgs, argsDigest })).claims.jti,
    ).toBeDefined()
  })

  it('checks authenticity first', async () => {
    const other = createTestKey()
    const forged = signReceipt(
      other,
      receiptClaims({ act: { name: 'payments.transfer', args: argsDigest } }),
    )
    expect(await asyncCodeOf(() => verifyPermit(forged, keys, expectation))).toBe('KEY_UNKNOWN')
    expect(await asyncCodeOf(() => verifyPermit('x.y.z', keys, expectation))).toBe('MALFORMED')
  })

  it('DENY and SILENCE never authorize → NOT_PERMIT', async () => {
    for (const decision of ['DENY', 'SILENCE']) {
      expect(await asyncCodeOf(() => verifyPermit(permit({ decision }), keys, expectation))).toBe(
        'NOT_PERMIT',
      )
    }
  })

  it('iat beyond now + skew → NOT_YET_VALID; within the skew passes', async () => {
    const future = permit({ iat: NOW + 100, exp: NOW + 400 })
    expect(await asyncCodeOf(() => verifyPermit(future, keys, { ...expectation, now: NOW }))).toBe(
      'NOT_YET_VALID',
    )
    expect((await verifyPermit(future, keys, { ...expectation, now: NOW + 40 })).claims.iat).toBe(
      NOW + 100,
    )
    expect(
      await asyncCodeOf(() =>
        verifyPermit(future, keys, { ...expectation, now: NOW + 40, skewSeconds: 0 }),
      ),
    ).toBe('NOT_YET_VALID')
  })

  it('now after exp → EXPIRED; exactly at exp passes', async () => {
    expect(
      await asyncCodeOf(() => verifyPermit(permit(), keys, { ...expectation, now: NOW + 301 })),
    ).toBe('EXPIRED')
    expect(
      (await verifyPermit(permit(), keys, { ...expectation, now: NOW + 300 })).claims.exp,
    ).toBe(NOW + 300)
  })

  it('another action → ACTION_MISMATCH', async () => {
    expect(
      await asyncCodeOf(() =>
        verifyPermit(permit(), keys, { ...expectation, action: 'payments.refund' }),
      ),
    ).toBe('ACTION_MISMATCH')
  })

  it('other arguments → ARGS_MISMATCH', async () => {
    for (const args of [
      '{"to":"acct_42","amount":2500,"currency":"EUR"}',
      { to: 'acct_666', amount: 250, currency: 'EUR' },
      '{"to":"acct_42","amount":250,"currency":"EUR","to":"acct_666"}',
      '{"__proto__":{}}',
    ]) {
      expect(await asyncCodeOf(() => verifyPermit(permit(), keys, { ...expectation, args }))).toBe(
        'ARGS_MISMATCH',
      )
    }
    expect(
      await asyncCodeOf(() =>
        verifyPermit(permit(), keys, { ...expectation, argsDigest: ZERO_DIGEST }),
      ),
    ).toBe('ARGS_MISMATCH')
    const { args: _args, ...withoutArgs } = expectation
    expect(await asyncCodeOf(() => verifyPermit(permit(), keys, withoutArgs))).toBe('ARGS_MISMATCH')
  })

  it('HTTP binding must match exactly → HTTP_MISMATCH', async () => {
    const bound = permit({ http })
    expect((await verifyPermit(bound, keys, { ...expectation, http })).claims.http).toEqual(http)
    for (const change of [
      { method: 'PUT' },
      { uri: 'https://pay.example/v1/transfers?idempotency=8' },
      { uri: 'https://pay.example/v1/transfers' },
      { body: ZERO_DIGEST },
    ]) {
      expect(
        await asyncCodeOf(() =>
          verifyPermit(bound, keys, { ...expectation, http: { ...http, ...change } }),
        ),
      ).toBe('HTTP_MISMATCH')
    }
    expect(await asyncCodeOf(() => verifyPermit(bound, keys, expectation))).toBe('HTTP_MISMATCH')
    expect(await asyncCodeOf(() => verifyPermit(permit(), keys, { ...expectation, http }))).toBe(
      'HTTP_MISMATCH',
    )
  })

  it('aud must be exactly the expected audience, both ways → AUDIENCE_MISMATCH', async () => {
    expect(
      await asyncCodeOf(() =>
        verifyPermit(permit(), keys, { ...expectation, audience: 'ehr-api' }),
      ),
    ).toBe('AUDIENCE_MISMATCH')
    const { audience: _audience, ...noAudience } = expectation
    expect(await asyncCodeOf(() => verifyPermit(permit(), keys, noAudience))).toBe(
      'AUDIENCE_MISMATCH',
    )
    const claims = receiptClaims({ act: { name: 'payments.transfer', args: argsDigest } })
    delete claims['aud']
    const unaddressed = signReceipt(key, claims)
    // A service that names itself refuses a receipt that names no service.
    expect(await asyncCodeOf(() => verifyPermit(unaddressed, keys, expectation))).toBe(
      'AUDIENCE_MISMATCH',
    )
    expect((await verifyPermit(unaddressed, keys, noAudience)).claims.aud).toBeUndefined()
  })

  it('exp - iat beyond the maximum lifetime → LIFETIME_TOO_LONG, even when not expired', async () => {
    const backdated = signReceipt(
      key,
      receiptClaims({
        act: { name: 'payments.transfer', args: argsDigest },
        iat: NOW - 10 * 365 * 86400,
        exp: NOW + 10 * 365 * 86400,
      }),
    )
    expect(await asyncCodeOf(() => verifyPermit(backdated, keys, expectation))).toBe(
      'LIFETIME_TOO_LONG',
    )
    const fiveMinutes = signReceipt(
      key,
      receiptClaims({
        act: { name: 'payments.transfer', args: argsDigest },
        iat: NOW,
        exp: NOW + 300,
      }),
    )
    expect((await verifyPermit(fiveMinutes, keys, expectation)).claims.exp).toBe(NOW + 300)
    expect(
      await asyncCodeOf(() =>
        verifyPermit(fiveMinutes, keys, { ...expectation, maxLifetimeSeconds: 60 }),
      ),
    ).toBe('LIFETIME_TOO_LONG')
  })

  it('a request id that is expected must be echoed → REQUEST_MISMATCH', async () => {
    const token = permit()
    const { claims } = await verifyPermit(token, keys, expectation)
    expect(
      await asyncCodeOf(() => verifyPermit(token, keys, { ...expectation, request: 'other' })),
    ).toBe('REQUEST_MISMATCH')
    await verifyPermit(token, keys, { ...expectation, request: claims.req })
  })

  it('a receipt is single use → REPLAYED', async () => {
    const replay = createMemoryReplayCache({ now: () => NOW })
    const token = permit()
    await verifyPermit(token, keys, { ...expectation, replay })
    expect(await asyncCodeOf(() => verifyPermit(token, keys, { ...expectation, replay }))).toBe(
      'REPLAYED',
    )
  })

  it('claims the jti only after every other check passed', async () => {
    const replay = createMemoryReplayCache({ now: () => NOW })
    const token = permit()
    expect(
      await asyncCodeOf(() =>
        verifyPermit(token, keys, { ...expectation, action: 'other', replay }),
      ),
    ).toBe('ACTION_MISMATCH')
    expect(
      await asyncCodeOf(() => verifyPermit(token, keys, { ...expectation, audience: 'x', replay })),
    ).toBe('AUDIENCE_MISMATCH')
    expect(replay.size).toBe(0)
    expect((await verifyPermit(token, keys, { ...expectation, replay })).claims.decision).toBe(
      'PERMIT',
    )
  })

  it('a replay cache that fails → REPLAY_CACHE_UNAVAILABLE, never a pass', async () => {
    const broken: ReplayCache = {
      claim() {
        throw new Error('redis down')
      },
    }
    const rejecting: ReplayCache = { claim: () => Promise.reject(new Error('timeout')) }
    const sloppy: ReplayCache = { claim: () => 'yes' as unknown as boolean }
    expect(
      await asyncCodeOf(() => verifyPermit(permit(), keys, { ...expectation, replay: broken })),
    ).toBe('REPLAY_CACHE_UNAVAILABLE')
    expect(
      await asyncCodeOf(() => verifyPermit(permit(), keys, { ...expectation, replay: rejecting })),
    ).toBe('REPLAY_CACHE_UNAVAILABLE')
    expect(
      await asyncCodeOf(() => verifyPermit(permit(), keys, { ...expectation, replay: sloppy })),
    ).toBe('REPLAYED')
  })
})

describe('createMemoryReplayCache', () => {
  it('evicts expired entries (after the grace period) and stays bounded', () => {
    let now = 1000
    const cache = createMemoryReplayCache({ maxEntries: 2, now: () => now, graceSeconds: 10 })
    expect(cache.claim('a', 1005)).toBe(true)
    expect(cache.claim('a', 1005)).toBe(false)
    expect(cache.claim('b', 2000)).toBe(true)
    expect(() => cache.claim('c', 2000)).toThrow()
    now = 1016
    expect(cache.claim('c', 2000)).toBe(true)
    expect(cache.size).toBe(2)
    expect(cache.claim('b', 2000)).toBe(false)
  })
})
