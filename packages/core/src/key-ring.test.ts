import { describe, expect, it } from 'vitest'
import { thrownCode } from '../test/support.js'
import { createKeyRing, loadKeyRing } from './key-ring.js'
import { generateSigningKey } from './keys.js'

describe('createKeyRing', () => {
  it('publishes public members only', () => {
    const key = generateSigningKey()
    const ring = createKeyRing(key)
    expect(ring.active.kid).toBe(key.kid)
    const published = ring.jwks()
    expect(published.keys).toHaveLength(1)
    expect(published.keys[0]).toEqual({
      kty: 'OKP',
      crv: 'Ed25519',
      x: key.x,
      kid: key.kid,
      use: 'sig',
      alg: 'EdDSA',
      status: 'active',
    })
    expect(JSON.stringify(published)).not.toContain('"d"')
  })

  it('rotates: a new active key from now, the old one retired until now and still published', () => {
    let now = 1_700_000_000_500
    const first = generateSigningKey()
    const ring = createKeyRing(first, { clock: () => now })
    expect(ring.rotate()).toBe(ring)
    const second = ring.active.kid
    expect(second).not.toBe(first.kid)
    expect(ring.jwks().keys).toEqual([
      expect.objectContaining({ kid: first.kid, status: 'retired', exp: 1_700_000_000 }),
      expect.objectContaining({ kid: second, status: 'active', nbf: 1_700_000_000 }),
    ])
    now += 10_000
    ring.rotate()
    expect(ring.jwks().keys.map((key) => key.status)).toEqual(['retired', 'retired', 'active'])
    expect(ring.signer(first.kid)?.kid).toBe(first.kid)
  })

  it('revokes a key; revoking the active key rotates first', () => {
    const ring = createKeyRing(generateSigningKey())
    const first = ring.active.kid
    ring.rotate()
    const second = ring.active.kid
    ring.revoke(first)
    expect(ring.active.kid).toBe(second)
    ring.revoke(second)
    expect(ring.active.kid).not.toBe(second)
    const statuses = Object.fromEntries(ring.jwks().keys.map((key) => [key.kid, key.status]))
    expect(statuses[first]).toBe('revoked')
    expect(statuses[second]).toBe('revoked')
    expect(statuses[ring.active.kid]).toBe('active')
    expect(thrownCode(() => ring.revoke('no-such-kid'))).toBe('KEY_MISSING')
  })

  it('persists and reloads the whole ring', () => {
    const ring = createKeyRing(generateSigningKey())
    ring.rotate()
    const text = JSON.stringify(ring)
    const reloaded = loadKeyRing(text)
    expect(reloaded.jwks()).toEqual(ring.jwks())
    expect(reloaded.active.kid).toBe(ring.active.kid)
  })

  it('needs exactly one active key and unique kids', () => {
    const retired = generateSigningKey({ status: 'retired' })
    expect(thrownCode(() => createKeyRing([retired]))).toBe('KEY_MISSING')
    expect(thrownCode(() => createKeyRing([generateSigningKey(), generateSigningKey()]))).toBe(
      'KEY_INVALID',
    )
    const key = generateSigningKey()
    expect(thrownCode(() => createKeyRing([key, { ...key, status: 'retired' }]))).toBe(
      'KEY_INVALID',
    )
    expect(thrownCode(() => createKeyRing([]))).toBe('KEY_MISSING')
  })
})
