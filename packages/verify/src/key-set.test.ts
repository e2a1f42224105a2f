import { describe, expect, it } from 'vitest'
import { codeOf } from '../test/codes.js'
import { createTestKey, keyFromPublic } from '../test/helpers.js'
import { base64UrlEncode, hexToBytes } from './encoding.js'
import { createKeySet, isKeySet, isWithinWindow, jwkThumbprint } from './key-set.js'

const key = createTestKey()

describe('jwkThumbprint', () => {
  it('matches RFC 8037 appendix A.3', () => {
    // RFC 8037 A.3: the thumbprint of the example Ed25519 key
    expect(
      jwkThumbprint({
        kty: 'OKP',
        crv: 'Ed25519',
        x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
      }),
    ).toBe('kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k')
  })
})

describe('createKeySet', () => {
  it('accepts a JWK Set, an array and JSON text, and publishes the set', () => {
    const fromSet = createKeySet({
      keys: [{ ...key.jwk, status: 'active', nbf: 1, exp: 2_000_000_000 }],
    })
    expect(fromSet.get(key.kid)?.status).toBe('active')
    expect(createKeySet([key.jwk]).keys).toHaveLength(1)
    expect(createKeySet(JSON.stringify({ keys: [key.jwk] })).get(key.kid)?.x).toBe(key.jwk.x)
    expect(fromSet.toJSON()).toEqual({
      keys: [{ ...key.jwk, status: 'active', nbf: 1, exp: 2_000_000_000 }],
    })
    expect(isKeySet(fromSet)).toBe(true)
    expect(isKeySet({ keys: [] })).toBe(false)
    expect(fromSet.get('nope')).toBeUndefined()
  })

  it.each([
    ['a private key (d)', { ...key.jwk, d: base64UrlEncode(key.seed) }],
    ['kty EC', { ...key.jwk, kty: 'EC' }],
    ['crv X25519', { ...key.jwk, crv: 'X25519' }],
    ['x of 31 bytes', { ...key.jwk, x: base64UrlEncode(new Uint8Array(31)) }],
    ['x with padding', { ...key.jwk, x: `${key.jwk.x}=` }],
    ['kid not the thumbprint', { ...key.jwk, kid: 'my-key-1' }],
    ['use enc', { ...key.jwk, use: 'enc' }],
    ['alg ES256', { ...key.jwk, alg: 'ES256' }],
    ['status unknown', { ...key.jwk, status: 'paused' }],
    ['nbf not an integer', { ...key.jwk, nbf: 1.5 }],
    ['nbf after exp', { ...key.jwk, nbf: 10, exp: 5 }],
    ['not an object', 'key'],
  ])('refuses %s → KEYSET_INVALID', (_name, jwk) => {
    expect(codeOf(() => createKeySet({ keys: [jwk as never] }))).toBe('KEYSET_INVALID')
  })

  it('refuses duplicate kids, bad JSON, duplicate JSON keys, and sets without keys', () => {
    expect(codeOf(() => createKeySet({ keys: [key.jwk, key.jwk] }))).toBe('KEYSET_INVALID')
    expect(codeOf(() => createKeySet('{"keys":['))).toBe('KEYSET_INVALID')
    expect(codeOf(() => createKeySet('{"keys":[],"keys":[]}'))).toBe('KEYSET_INVALID')
    expect(codeOf(() => createKeySet({} as never))).toBe('KEYSET_INVALID')
  })

  it('keeps a weak key but refuses to use it → KEY_WEAK', () => {
    const weak = keyFromPublic(hexToBytes(`01${'00'.repeat(31)}`), new Uint8Array(32))
    const keys = createKeySet({ keys: [weak.jwk] })
    expect(codeOf(() => keys.resolve(weak.kid, 1))).toBe('KEY_WEAK')
  })

  it('resolve runs the key checks in order', () => {
    const keys = createKeySet({ keys: [{ ...key.jwk, status: 'revoked', nbf: 100 }] })
    expect(codeOf(() => keys.resolve('unknown', 1))).toBe('KEY_UNKNOWN')
    expect(codeOf(() => keys.resolve(key.kid, 1))).toBe('KEY_REVOKED')
    const windowed = createKeySet({ keys: [{ ...key.jwk, nbf: 100, exp: 200 }] })
    expect(codeOf(() => windowed.resolve(key.kid, 99))).toBe('KEY_NOT_VALID_AT_TIME')
    expect(codeOf(() => windowed.resolve(key.kid, 201))).toBe('KEY_NOT_VALID_AT_TIME')
    expect(codeOf(() => windowed.resolve(key.kid, 'soon'))).toBe('KEY_NOT_VALID_AT_TIME')
    expect(windowed.resolve(key.kid, 100).publicKey).toEqual(key.publicKey)
    expect(windowed.resolve(key.kid, 200).jwk.kid).toBe(key.kid)
  })
})

describe('isWithinWindow', () => {
  it('takes any iat without a window, and only integers inside an inclusive one', () => {
    expect(isWithinWindow('anything', undefined, undefined)).toBe(true)
    expect(isWithinWindow(10, 10, 20)).toBe(true)
    expect(isWithinWindow(20, 10, 20)).toBe(true)
    expect(isWithinWindow(9, 10, undefined)).toBe(false)
    expect(isWithinWindow(21, undefined, 20)).toBe(false)
    expect(isWithinWindow(15.5, 10, 20)).toBe(false)
    expect(isWithinWindow('15', 10, 20)).toBe(false)
  })
})
