/**
 * `writ serve --signer pkcs11:…` with a real SoftHSM2 token: receipts signed inside the
 * token verify with the CLI, `writ keys export` publishes the token's key, and a rotation
 * to a new key in the token keeps the old key published as retired.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { decodeJws } from '@writ/verify/internal'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestToken, type TestToken } from '../support/softhsm.js'
import { decide, ensureBuilt, killAll, opsWorkspace, runWrit, startServe } from './support.js'

let token: TestToken
let env: Record<string, string>
const ws = opsWorkspace()

beforeAll(async () => {
  ensureBuilt()
  token = await createTestToken('writ-serve')
  env = { SOFTHSM2_CONF: token.conf, [token.pinEnv]: token.pin }
})
afterAll(() => {
  killAll()
  token.dispose()
  ws.remove()
})

/** The usual serve flags with the key file swapped for `keyArgs`. */
function serveArgs(keyArgs: readonly string[]): string[] {
  const args = ws.serveArgs()
  const at = args.indexOf('--key')
  args.splice(at, 2, ...keyArgs)
  return args
}

async function verifyWithCli(receipt: string, keys: string): Promise<number | null> {
  writeFileSync(ws.path('receipt.jwt'), receipt)
  writeFileSync(ws.path('keys.json'), keys)
  return (await runWrit(['verify', '--keys', ws.path('keys.json'), ws.path('receipt.jwt')])).code
}

describe('writ serve with a key in a PKCS#11 token', () => {
  it('signs in the token, publishes its key, and rotates to a new token key', async () => {
    const server = await startServe(serveArgs(['--signer', token.uri]), { env })
    const first = await decide(server.url, ws.token)
    expect(first).toMatchObject({ status: 200, body: { decision: 'PERMIT' } })
    const firstReceipt = first.body['receipt'] as string
    expect(decodeJws(firstReceipt).header.kid).toBe(token.publicJwk.kid)
    const published = (await (await fetch(`${server.url}/.well-known/writ/keys.json`)).json()) as {
      keys: { kid: string }[]
    }
    expect(published.keys.map((key) => key.kid)).toEqual([token.publicJwk.kid])
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)

    const exported = await runWrit(['keys', 'export', '--signer', token.uri], { env })
    expect(exported.code).toBe(0)
    expect(JSON.parse(exported.stdout)).toEqual({ keys: [token.publicJwk] })
    expect(await verifyWithCli(firstReceipt, exported.stdout)).toBe(0)

    // Rotation: a new key pair made in the token; the ring file holds public keys only.
    const next = `${token.uri.replace('object=receipts', 'object=receipts-2')}`
    const ring = ws.path('ring.json')
    const rotation = await runWrit(
      ['keys', 'rotate', '--key', ring, '--signer', next, '--previous-signer', token.uri, '--json'],
      { env },
    )
    expect(rotation.code).toBe(0)
    const { active, retired } = JSON.parse(rotation.stdout) as { active: string; retired: string }
    expect(retired).toBe(token.publicJwk.kid)
    const saved = JSON.parse(readFileSync(ring, 'utf8')) as { keys: Record<string, unknown>[] }
    expect(saved.keys.map((key) => [key['kid'], key['status'], key['d'], key['signer']])).toEqual([
      [retired, 'retired', undefined, expect.stringContaining('object=receipts?')],
      [active, 'active', undefined, expect.stringContaining('object=receipts-2?')],
    ])

    const again = await startServe(serveArgs(['--key', ring]), { env })
    const second = await decide(again.url, ws.token)
    expect(second).toMatchObject({ status: 200, body: { decision: 'PERMIT' } })
    expect(decodeJws(second.body['receipt'] as string).header.kid).toBe(active)
    again.child.kill('SIGTERM')
    expect(await again.exited).toBe(0)

    const both = await runWrit(['keys', 'export', '--key', ring])
    expect(both.code).toBe(0)
    const statuses = (JSON.parse(both.stdout) as { keys: { kid: string; status: string }[] }).keys
    expect(statuses.map((key) => [key.kid, key.status])).toEqual([
      [retired, 'retired'],
      [active, 'active'],
    ])
    expect(await verifyWithCli(second.body['receipt'] as string, both.stdout)).toBe(0)
  })

  it('refuses to start when the token refuses the PIN', async () => {
    const wrong = { ...env, [token.pinEnv]: '000000' }
    const result = await runWrit(serveArgs(['--signer', token.uri]), { env: wrong })
    expect(result.code).toBe(3)
    expect(result.stderr).toContain('SIGNER_UNAVAILABLE')
  })
})
