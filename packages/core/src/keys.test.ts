import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { base64UrlEncode, sha256 } from '@writ/verify/internal'
import { afterEach, describe, expect, it } from 'vitest'
import { thrownCode } from '../test/support.js'
import { generateSigningKey, loadSigningKey, parseSigningKey } from './keys.js'

const directories: string[] = []
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true })
})

function keyFile(content: string, mode: number): string {
  const directory = mkdtempSync(join(tmpdir(), 'writ-key-'))
  directories.push(directory)
  const path = join(directory, 'key.json')
  writeFileSync(path, content)
  chmodSync(path, mode)
  return path
}

describe('generateSigningKey', () => {
  it('makes an Ed25519 JWK whose kid is the RFC 7638 thumbprint', () => {
    const key = generateSigningKey({ nbf: 10, exp: 20 })
    expect(key).toMatchObject({
      kty: 'OKP',
      crv: 'Ed25519',
      use: 'sig',
      alg: 'EdDSA',
      status: 'active',
      nbf: 10,
      exp: 20,
    })
    expect(key.d).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect(key.x).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const thumbprint = base64UrlEncode(sha256(`{"crv":"Ed25519","kty":"OKP","x":"${key.x}"}`))
    expect(key.kid).toBe(thumbprint)
    expect(parseSigningKey(key).jwk).toEqual(key)
  })

  it('never makes the same key twice', () => {
    const keys = new Set(Array.from({ length: 50 }, () => generateSigningKey().d))
    expect(keys.size).toBe(50)
  })
})

describe('parseSigningKey', () => {
  const key = generateSigningKey()
  const other = generateSigningKey()

  it.each([
    ['undefined', undefined],
    ['null', null],
    ['empty text', ''],
    ['a public key only', { kty: 'OKP', crv: 'Ed25519', x: key.x }],
  ])('refuses %s with KEY_MISSING', (_, value) => {
    expect(thrownCode(() => parseSigningKey(value))).toBe('KEY_MISSING')
  })

  it.each([
    ['a number', 42],
    ['an RSA key', { ...key, kty: 'RSA' }],
    ['another curve', { ...key, crv: 'X25519' }],
    ['a short seed', { ...key, d: key.d.slice(0, 40) }],
    ['a seed that is not base64url', { ...key, d: `${key.d.slice(0, 42)}+` }],
    ['a non-canonical seed spelling', { ...key, d: `${key.d}=` }],
    ['an x of another key', { ...key, x: other.x }],
    ['a kid that is not the thumbprint', { ...key, kid: other.kid }],
    ['a wrong use', { ...key, use: 'enc' }],
    ['a wrong alg', { ...key, alg: 'ES256' }],
    ['an unknown status', { ...key, status: 'paused' }],
    ['a fractional nbf', { ...key, nbf: 1.5 }],
  ])('refuses %s with KEY_INVALID', (_, value) => {
    expect(thrownCode(() => parseSigningKey(value))).toBe('KEY_INVALID')
  })

  it('fills in x and kid when only d is given', () => {
    const parsed = parseSigningKey({ kty: 'OKP', crv: 'Ed25519', d: key.d })
    expect(parsed.publicJwk.x).toBe(key.x)
    expect(parsed.publicJwk.kid).toBe(key.kid)
    expect(parsed.publicJwk).not.toHaveProperty('d')
  })
})

describe('loadSigningKey', () => {
  const key = generateSigningKey()

  it('reads a JWK object, JWK text, a 0600 file and an environment variable', () => {
    expect(loadSigningKey(key)).toEqual(key)
    expect(loadSigningKey(JSON.stringify(key))).toEqual(key)
    expect(loadSigningKey({ file: keyFile(JSON.stringify(key), 0o600) })).toEqual(key)
    expect(loadSigningKey({ file: keyFile(JSON.stringify(key), 0o400) })).toEqual(key)
    process.env['WRIT_TEST_KEY'] = JSON.stringify(key)
    try {
      expect(loadSigningKey({ env: 'WRIT_TEST_KEY' })).toEqual(key)
    } finally {
      delete process.env['WRIT_TEST_KEY']
    }
  })

  it('refuses a key file that others may read, with KEY_INVALID', () => {
    expect(thrownCode(() => loadSigningKey({ file: keyFile(JSON.stringify(key), 0o644) }))).toBe(
      'KEY_INVALID',
    )
    expect(thrownCode(() => loadSigningKey({ file: keyFile(JSON.stringify(key), 0o640) }))).toBe(
      'KEY_INVALID',
    )
  })

  it('reports missing sources with KEY_MISSING and garbage with KEY_INVALID', () => {
    expect(thrownCode(() => loadSigningKey({ file: '/nonexistent/writ/key.json' }))).toBe(
      'KEY_MISSING',
    )
    expect(thrownCode(() => loadSigningKey({ env: 'WRIT_TEST_KEY_UNSET' }))).toBe('KEY_MISSING')
    expect(thrownCode(() => loadSigningKey({ file: keyFile('', 0o600) }))).toBe('KEY_MISSING')
    expect(thrownCode(() => loadSigningKey('not json'))).toBe('KEY_INVALID')
    expect(thrownCode(() => loadSigningKey({ file: keyFile('{"kty":"OKP"}', 0o600) }))).toBe(
      'KEY_INVALID',
    )
  })
})
