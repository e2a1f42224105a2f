import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { useWorkspace } from './helpers.js'

const ws = useWorkspace()

describe('writ keygen', () => {
  it('writes a private JWK with mode 0600 and prints its kid', async () => {
    const result = await ws.writ('keygen', '--out', 'signing.jwk')
    expect(result.code).toBe(0)
    const kid = result.stdout.trim()
    const key = JSON.parse(readFileSync(ws.path('signing.jwk'), 'utf8'))
    expect(key.kid).toBe(kid)
    expect(key.kty).toBe('OKP')
    expect(key.crv).toBe('Ed25519')
    expect(typeof key.d).toBe('string')
    if (process.platform !== 'win32')
      expect(statSync(ws.path('signing.jwk')).mode & 0o777).toBe(0o600)
  })

  it('refuses to overwrite an existing file, and replaces it with --force', async () => {
    ws.write('signing.jwk', 'keep me')
    const refused = await ws.writ('keygen', '--out', 'signing.jwk')
    expect(refused.code).toBe(3)
    expect(refused.stderr).toMatch(/^writ: IO_ERROR: /)
    expect(readFileSync(ws.path('signing.jwk'), 'utf8')).toBe('keep me')

    const forced = await ws.writ('keygen', '--out', 'signing.jwk', '--force')
    expect(forced.code).toBe(0)
    expect(JSON.parse(readFileSync(ws.path('signing.jwk'), 'utf8')).kid).toBe(forced.stdout.trim())
    if (process.platform !== 'win32')
      expect(statSync(ws.path('signing.jwk')).mode & 0o777).toBe(0o600)
  })

  it('gives a fresh key each time, and --json output parses', async () => {
    const first = await ws.writ('keygen', '--out', 'a.jwk', '--json')
    const second = await ws.writ('keygen', '--out', 'b.jwk', '--json')
    const a = JSON.parse(first.stdout)
    const b = JSON.parse(second.stdout)
    expect(a.kid).not.toBe(b.kid)
    expect(a.path).toBe(ws.path('a.jwk'))
  })

  it('is a usage error without --out', async () => {
    const result = await ws.writ('keygen')
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/^writ: USAGE: /)
  })
})

describe('writ keys export', () => {
  it('prints the public JWK Set, never the private member', async () => {
    const kid = (await ws.writ('keygen', '--out', 'signing.jwk')).stdout.trim()
    const result = await ws.writ('keys', 'export', '--key', 'signing.jwk')
    expect(result.code).toBe(0)
    const set = JSON.parse(result.stdout)
    expect(set.keys).toHaveLength(1)
    expect(set.keys[0].kid).toBe(kid)
    expect(set.keys[0]).not.toHaveProperty('d')
    expect(result.stdout).not.toContain(JSON.parse(readFileSync(ws.path('signing.jwk'), 'utf8')).d)
  })

  it('merges several key files into one set', async () => {
    const first = (await ws.writ('keygen', '--out', 'a.jwk')).stdout.trim()
    const second = (await ws.writ('keygen', '--out', 'b.jwk')).stdout.trim()
    const set = JSON.parse(
      (await ws.writ('keys', 'export', '--key', 'a.jwk', '--key', 'b.jwk')).stdout,
    )
    expect(set.keys.map((key: { kid: string }) => key.kid).sort()).toEqual([first, second].sort())
  })

  it('exits 3 on a missing key file', async () => {
    const result = await ws.writ('keys', 'export', '--key', 'missing.jwk')
    expect(result.code).toBe(3)
    expect(result.stderr).toMatch(/^writ: IO_ERROR: /)
  })

  it('exits 3 with KEY_INVALID on a key file others may read', async () => {
    await ws.writ('keygen', '--out', 'signing.jwk')
    chmodSync(ws.path('signing.jwk'), 0o644)
    const result = await ws.writ('keys', 'export', '--key', 'signing.jwk')
    expect(result.code).toBe(3)
    expect(result.stderr).toMatch(/^writ: KEY_INVALID: /)
  })

  it('exits 3 with KEY_INVALID on a key whose x is not its d', async () => {
    await ws.writ('keygen', '--out', 'a.jwk')
    await ws.writ('keygen', '--out', 'b.jwk')
    const a = JSON.parse(readFileSync(ws.path('a.jwk'), 'utf8'))
    const b = JSON.parse(readFileSync(ws.path('b.jwk'), 'utf8'))
    writeFileSync(ws.path('mixed.jwk'), JSON.stringify({ ...a, d: b.d }), { mode: 0o600 })
    const result = await ws.writ('keys', 'export', '--key', 'mixed.jwk')
    expect(result.code).toBe(3)
    expect(result.stderr).toMatch(/^writ: KEY_INVALID: /)
  })
})
