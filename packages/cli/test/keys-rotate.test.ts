import { statSync } from 'node:fs'
import { compilePolicy, createGate, loadKeyRing, loadSigningKey } from '@writ/core'
import { describe, expect, it } from 'vitest'
import {
  decideArgv,
  decideArgvWith,
  PAYMENTS_POLICY,
  signingWorkspace,
  useWorkspace,
  writJson,
} from './helpers.js'

const ws = useWorkspace(() => signingWorkspace({ keys: false }))

const decide = async () => {
  const result = await ws.writ(...decideArgv('{"amount":10}'))
  expect(result.code).toBe(0)
  return result.stdout.trim()
}

describe('writ keys rotate / revoke', () => {
  it('leaves a file the documented loader, loadKeyRing({ file }), reads before and after', async () => {
    const gateOn = () =>
      createGate({
        policy: compilePolicy(PAYMENTS_POLICY),
        keys: loadKeyRing({ file: ws.path('signing.jwk') }),
        issuer: 'https://writ.test',
      })
    const before = await gateOn().authorize({
      action: 'payments.transfer',
      args: { to: 'acme', amount: 1 },
    })
    const rotated = await ws.writ('keys', 'rotate', '--key', 'signing.jwk', '--json')
    const { active, retired } = JSON.parse(rotated.stdout) as { active: string; retired: string }
    const after = await gateOn().authorize({
      action: 'payments.transfer',
      args: { to: 'acme', amount: 1 },
    })
    expect([before.decision, after.decision]).toEqual(['PERMIT', 'PERMIT'])
    const kidOf = (token: string) =>
      (
        JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString()) as {
          kid: string
        }
      ).kid
    expect(kidOf(before.receipt)).toBe(retired)
    expect(kidOf(after.receipt)).toBe(active)
    // The single-key loader reads a single key only, and says so with a code.
    expect(() => loadSigningKey({ file: ws.path('signing.jwk') })).toThrow(
      expect.objectContaining({ code: 'KEY_INVALID' }),
    )
  })

  it('rotates: old receipts keep verifying under the retired key, new ones use the new key', async () => {
    const before = await decide()
    const rotated = await ws.writ('keys', 'rotate', '--key', 'signing.jwk', '--json')
    expect(rotated.code).toBe(0)
    const { active, retired } = JSON.parse(rotated.stdout) as { active: string; retired: string }
    expect(active).not.toBe(retired)
    if (process.platform !== 'win32')
      expect(statSync(ws.path('signing.jwk')).mode & 0o777).toBe(0o600)
    const exported = await ws.writ('keys', 'export', '--key', 'signing.jwk')
    const set = JSON.parse(exported.stdout) as {
      keys: { kid: string; status: string; d?: string }[]
    }
    expect(set.keys.map((key) => [key.kid, key.status]).sort()).toEqual(
      [
        [active, 'active'],
        [retired, 'retired'],
      ].sort(),
    )
    expect(set.keys.every((key) => key.d === undefined)).toBe(true)
    ws.write('keys.json', exported.stdout)
    ws.write('before.jwt', before)
    expect((await ws.writ('verify', '--keys', 'keys.json', 'before.jwt')).code).toBe(0)
    const after = await decide()
    ws.write('after.jwt', after)
    const verified = JSON.parse(
      (await ws.writ('verify', '--keys', 'keys.json', 'after.jwt', '--json')).stdout,
    ) as {
      valid: boolean
      claims: unknown
    }
    expect(verified.valid).toBe(true)
    expect(JSON.parse(Buffer.from(after.split('.')[0]!, 'base64url').toString()).kid).toBe(active)
  })

  it('revokes: receipts of the revoked key fail with KEY_REVOKED', async () => {
    const before = await decide()
    const kid = JSON.parse(Buffer.from(before.split('.')[0]!, 'base64url').toString()).kid as string
    const revoked = await ws.writ('keys', 'revoke', '--key', 'signing.jwk', '--kid', kid, '--json')
    expect(revoked.code).toBe(0)
    expect(JSON.parse(revoked.stdout).active).not.toBe(kid)
    ws.write('keys.json', (await ws.writ('keys', 'export', '--key', 'signing.jwk')).stdout)
    ws.write('before.jwt', before)
    const result = await ws.writ('verify', '--keys', 'keys.json', 'before.jwt', '--json')
    expect(result.code).toBe(1)
    expect(JSON.parse(result.stdout).code).toBe('KEY_REVOKED')
  })

  it('refuses an unknown kid and a missing key file', async () => {
    const unknown = await ws.writ('keys', 'revoke', '--key', 'signing.jwk', '--kid', 'no-such-kid')
    expect(unknown.code).toBe(3)
    expect(unknown.stderr).toMatch(/^writ: KEY_MISSING: /)
    const missing = await ws.writ('keys', 'rotate', '--key', 'nope.jwk')
    expect(missing.code).toBe(3)
    expect((await ws.writ('keys', 'rotate')).code).toBe(2)
  })
})

describe('writ keys rotate --grace', () => {
  it('keeps the retired key valid for the grace period (default 300 s), so an authority still on the old ring signs verifiable receipts', async () => {
    ws.write(
      'old.jwk',
      (await import('node:fs')).readFileSync(ws.path('signing.jwk'), 'utf8'),
      0o600,
    )
    const rotated = await ws.writ('keys', 'rotate', '--key', 'signing.jwk', '--json')
    const { active, retired, retiredExp } = JSON.parse(rotated.stdout) as {
      active: string
      retired: string
      retiredExp: number
    }
    const set = JSON.parse((await ws.writ('keys', 'export', '--key', 'signing.jwk')).stdout) as {
      keys: { kid: string; nbf?: number; exp?: number }[]
    }
    const next = set.keys.find((key) => key.kid === active)
    expect(retiredExp - (next?.nbf ?? 0)).toBe(300)
    expect(set.keys.find((key) => key.kid === retired)?.exp).toBe(retiredExp)
    // A receipt signed with the old ring after the rotation still verifies.
    const late = await ws.writ(...decideArgvWith({ key: 'old.jwk' }, '{"amount":10}'))
    ws.write('late.jwt', late.stdout.trim())
    ws.write('keys.json', JSON.stringify(set))
    expect((await ws.writ('verify', '--keys', 'keys.json', 'late.jwt')).code).toBe(0)
  })

  it('takes --grace in whole seconds, and refuses anything else (exit 2)', async () => {
    const rotated = await writJson(ws, 'keys', 'rotate', '--key', 'signing.jwk', '--grace', '60')
    const { active, retiredExp } = rotated.output as {
      active: string
      retiredExp: number
    }
    const set = JSON.parse((await ws.writ('keys', 'export', '--key', 'signing.jwk')).stdout) as {
      keys: { kid: string; nbf?: number }[]
    }
    expect(retiredExp - (set.keys.find((key) => key.kid === active)?.nbf ?? 0)).toBe(60)
    expect((await ws.writ('keys', 'rotate', '--key', 'signing.jwk', '--grace', '-5')).code).toBe(2)
  })
})
