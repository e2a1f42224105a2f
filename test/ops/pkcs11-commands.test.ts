/**
 * The CLI commands that sign, with the key in a real SoftHSM2 token, opened the way
 * `writ serve` opens it (`--signer pkcs11:…`, or a ring of public keys naming their
 * token): `writ decide`, `writ checkpoint` (and `--note`, cosigned by `writ witness serve`
 * whose own key is in the token too) and `writ keys revoke`.
 */
import { readFileSync } from 'node:fs'
import { createKeySet, verifyCheckpoint, verifyReceipt } from '@writ/verify'
import { decodeJws } from '@writ/verify/internal'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestToken, type TestToken } from '../support/softhsm.js'
import { ensureBuilt, killAll, opsWorkspace, runWrit, spawnWrit } from './support.js'

let token: TestToken
let env: Record<string, string>
const ws = opsWorkspace()
const db = ws.path('writ.db')

beforeAll(async () => {
  ensureBuilt()
  token = await createTestToken('writ-commands')
  env = { SOFTHSM2_CONF: token.conf, [token.pinEnv]: token.pin }
})
afterAll(() => {
  killAll()
  token.dispose()
  ws.remove()
})

const decideArgs = (keyArgs: readonly string[]) => [
  'decide',
  '--policy',
  ws.path('policy.yaml'),
  ...keyArgs,
  '--store',
  db,
  '--action',
  'payments.transfer',
  '--args',
  '{"to":"bob","amount":5}',
  '--json',
]

/** A ring file of public keys: the token key `receipts` retired, `receipts-2` active. */
async function tokenRing(): Promise<{ path: string; active: string; retired: string }> {
  const path = ws.path('ring.json')
  const next = token.uri.replace('object=receipts', 'object=receipts-2')
  const rotation = await runWrit(
    ['keys', 'rotate', '--key', path, '--signer', next, '--previous-signer', token.uri, '--json'],
    { env },
  )
  expect(rotation.code).toBe(0)
  const { active, retired } = JSON.parse(rotation.stdout) as { active: string; retired: string }
  return { path, active, retired }
}

describe('CLI commands with a key in a PKCS#11 token', () => {
  it('decide and checkpoint sign in the token with --signer and with a ring file naming it', async () => {
    const first = await runWrit(decideArgs(['--signer', token.uri]), { env })
    expect(first.code).toBe(0)
    const receipt = (JSON.parse(first.stdout) as { receipt: string }).receipt
    expect(decodeJws(receipt).header.kid).toBe(token.publicJwk.kid)
    await expect(
      verifyReceipt(receipt, createKeySet({ keys: [token.publicJwk] })),
    ).resolves.toMatchObject({ claims: { decision: 'PERMIT' } })

    const ring = await tokenRing()
    const second = await runWrit(decideArgs(['--key', ring.path]), { env })
    expect(second.code).toBe(0)
    expect(decodeJws((JSON.parse(second.stdout) as { receipt: string }).receipt).header.kid).toBe(
      ring.active,
    )

    const checkpoint = await runWrit(['checkpoint', '--store', db, '--key', ring.path, '--json'], {
      env,
    })
    expect(checkpoint.code).toBe(0)
    const { token: signed, size } = JSON.parse(checkpoint.stdout) as { token: string; size: number }
    expect(size).toBe(2)
    const exported = await runWrit(['keys', 'export', '--key', ring.path], { env })
    const keys = createKeySet(JSON.parse(exported.stdout))
    await expect(verifyCheckpoint(signed, keys)).resolves.toMatchObject({
      claims: { size: 2 },
      key: { kid: ring.active },
    })
  })

  it('checkpoint --note is cosigned by a witness whose key is in the token too', async () => {
    const logKey = await runWrit(['checkpoint', '--store', db, '--signer', token.uri, '--note'], {
      env,
    })
    expect(logKey.code).toBe(0)
    const vkey = /log key (\S+)/.exec(logKey.stderr)?.[1] as string
    const witnessKey = await token.addKey('witness')
    const witness = spawnWrit(
      [
        'witness',
        'serve',
        '--signer',
        witnessKey.uri,
        '--name',
        'witness.test/w1',
        '--log',
        vkey,
        '--port',
        '0',
        '--state',
        ws.path('witness-state'),
      ],
      { env },
    )
    const url = (await witness.waitFor(/listening on (http:\/\/\S+)/))[1] as string
    const wvkey = witness.stdout().trim().split('\n')[0] as string
    expect(wvkey).toMatch(/^witness\.test\/w1\+/)
    await runWrit(decideArgs(['--signer', token.uri]), { env })
    const noted = await runWrit(
      [
        'checkpoint',
        '--store',
        db,
        '--signer',
        token.uri,
        '--note',
        '--witness',
        `${url}=${wvkey}`,
      ],
      { env },
    )
    expect(noted.code).toBe(0)
    expect(noted.stderr).not.toContain('did not cosign')
    // The note carries the log's line and the witness's cosignature.
    expect(noted.stdout.split('\n').filter((line) => line.startsWith('— '))).toHaveLength(2)
    witness.child.kill('SIGTERM')
  })

  it('keys revoke rewrites a token ring without opening a private key, and will not revoke the token key in use', async () => {
    const path = ws.path('ring.json')
    const before = JSON.parse(readFileSync(path, 'utf8')) as { keys: Record<string, unknown>[] }
    const retired = before.keys.find((key) => key['status'] === 'retired')?.['kid'] as string
    const active = before.keys.find((key) => key['status'] === 'active')?.['kid'] as string
    const revoked = await runWrit(['keys', 'revoke', '--key', path, '--kid', retired, '--json'], {
      env,
    })
    expect(revoked.code).toBe(0)
    expect(JSON.parse(revoked.stdout)).toEqual({ revoked: retired, active })
    const after = JSON.parse(readFileSync(path, 'utf8')) as { keys: Record<string, unknown>[] }
    expect(
      after.keys.map((key) => [key['kid'], key['status'], key['d'], typeof key['signer']]),
    ).toEqual([
      [retired, 'revoked', undefined, 'string'],
      [active, 'active', undefined, 'string'],
    ])
    const refused = await runWrit(['keys', 'revoke', '--key', path, '--kid', active, '--json'], {
      env,
    })
    expect(refused.code).toBe(2)
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual(after)
  })

  it('fails closed with SIGNER_UNAVAILABLE when the token refuses the PIN', async () => {
    const wrong = { ...env, [token.pinEnv]: '0000' }
    const refused = await runWrit(decideArgs(['--signer', token.uri]), { env: wrong })
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toContain('SIGNER_UNAVAILABLE')
    const checkpoint = await runWrit(
      ['checkpoint', '--store', db, '--signer', token.uri, '--note'],
      {
        env: wrong,
      },
    )
    expect(checkpoint.code).not.toBe(0)
    expect(checkpoint.stderr).toContain('SIGNER_UNAVAILABLE')
  })
})
