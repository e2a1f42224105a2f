import { describe, expect, it } from 'vitest'
import {
  chainVerify,
  decideArgv,
  runSql,
  signingWorkspace,
  useWorkspace,
  withEditedClaims,
  writJson,
} from './helpers.js'

const ws = useWorkspace(() => signingWorkspace())

async function decideInStore(amount: number, ...extra: string[]): Promise<string> {
  const result = await ws.writ(
    ...decideArgv({ to: 'acme', amount }, '--store', 'receipts.db', ...extra),
  )
  expect(result.code).toBe(0)
  expect(result.stderr).not.toContain('nothing is kept')
  return result.stdout.trim()
}

describe('writ decide --store and writ chain verify', () => {
  it('appends to one chain, seq 0, 1, 2, and the chain verifies', async () => {
    const tokens = [await decideInStore(10), await decideInStore(20), await decideInStore(5000)]
    const seqs = tokens.map(
      (token) =>
        JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()).chain,
    )
    expect(seqs.map((chain: { seq: number }) => chain.seq)).toEqual([0, 1, 2])
    expect(seqs.every((chain: { id: string }) => chain.id === 'main')).toBe(true)

    const { code, report } = await chainVerify(ws)
    expect(code).toBe(0)
    expect(report.valid).toBe(true)
    expect(report.keysFrom).toBe('keys')
    expect(report.chains).toEqual([
      expect.objectContaining({ chain: 'main', valid: true, size: 3 }),
    ])

    const human = await ws.writ('chain', 'verify', '--store', 'receipts.db', '--keys', 'keys.json')
    expect(human.code).toBe(0)
    expect(human.stdout).toContain('OK')
  })

  it('keeps chains apart with --chain', async () => {
    await decideInStore(1)
    await decideInStore(2, '--chain', 'second')
    const { code, report } = await chainVerify(ws)
    expect(code).toBe(0)
    expect(report.chains.map((chain: { chain: string }) => chain.chain)).toEqual(['main', 'second'])
  })

  it('detects an edited receipt: SIGNATURE_INVALID at its seq', async () => {
    await decideInStore(10)
    const second = await decideInStore(20)
    await decideInStore(30)
    const forged = withEditedClaims(second, (claims) => {
      claims['decision'] = 'DENY'
    })
    runSql(ws, 'UPDATE receipts SET token = ? WHERE seq = 1', forged)

    const { code, report, stderr } = await chainVerify(ws)
    expect(code).toBe(1)
    expect(report.valid).toBe(false)
    expect(report.chains[0]).toMatchObject({
      chain: 'main',
      valid: false,
      code: 'SIGNATURE_INVALID',
      seq: 1,
    })
    expect(stderr).toMatch(/^writ: SIGNATURE_INVALID: /m)
  })

  it('detects a deleted receipt: CHAIN_GAP at the missing seq', async () => {
    await decideInStore(10)
    await decideInStore(20)
    await decideInStore(30)
    runSql(ws, 'DELETE FROM receipts WHERE seq = 1')
    const { code, report } = await chainVerify(ws)
    expect(code).toBe(1)
    expect(report.chains[0]).toMatchObject({ valid: false, code: 'CHAIN_GAP', seq: 1 })
  })

  it('detects reordered receipts at the first position out of place', async () => {
    await decideInStore(10)
    const second = await decideInStore(20)
    const third = await decideInStore(30)
    runSql(ws, 'UPDATE receipts SET token = ? WHERE seq = 1', third)
    runSql(ws, 'UPDATE receipts SET token = ? WHERE seq = 2', second)
    const { code, report } = await chainVerify(ws)
    expect(code).toBe(1)
    // Spec section 5: a reorder is a prev mismatch, not missing receipts.
    expect(report.chains[0]).toMatchObject({ valid: false, seq: 1, code: 'CHAIN_PREV_MISMATCH' })
  })

  it('exits 3 with STORE_UNAVAILABLE when the store cannot be created', async () => {
    const result = await ws.writ(...decideArgv('{}', '--store', 'no-such-directory/receipts.db'))
    expect(result.code).toBe(3)
    expect(result.stderr).toMatch(/^writ: STORE_UNAVAILABLE: /m)
    expect(result.stdout).toBe('')
  })

  it('detects a truncated tail against a checkpoint kept elsewhere', async () => {
    await decideInStore(10)
    await decideInStore(20)
    const issued = await ws.writ('checkpoint', '--store', 'receipts.db', '--key', 'signing.jwk')
    expect(issued.code).toBe(0)
    ws.write('checkpoint.jwt', issued.stdout)
    expect((await chainVerify(ws, '--checkpoint', 'checkpoint.jwt')).code).toBe(0)

    runSql(ws, 'DELETE FROM receipts WHERE seq = 1')
    runSql(ws, 'DELETE FROM checkpoints')
    const { code, report } = await chainVerify(ws, '--checkpoint', 'checkpoint.jwt')
    expect(code).toBe(1)
    expect(report.chains[0].valid).toBe(false)
    expect(['CHECKPOINT_MISMATCH', 'CHECKPOINT_ROLLBACK']).toContain(report.chains[0].code)
  })

  it('exits 3 on a store that does not exist, and 2 without --keys on a store that records none', async () => {
    expect(
      (await ws.writ('chain', 'verify', '--store', 'missing.db', '--keys', 'keys.json')).code,
    ).toBe(3)
    await decideInStore(1)
    const result = await ws.writ('chain', 'verify', '--store', 'receipts.db')
    expect(result.code).toBe(2)
    expect(result.stderr).toMatch(/^writ: USAGE: /)
  })
})

describe('writ checkpoint', () => {
  it('prints a checkpoint of the chain with its size, --json parses', async () => {
    await decideInStore(10)
    await decideInStore(20)
    const { code, output } = await writJson(
      ws,
      ...['checkpoint', '--store', 'receipts.db', '--key', 'signing.jwk'],
    )
    expect(code).toBe(0)
    expect(output).toMatchObject({ chain: 'main', size: 2 })
    expect(output.head).toMatch(/^sha256:[0-9a-f]{64}$/)
    const inspected = JSON.parse((await ws.writ('inspect', output.token, '--json')).stdout)
    expect(inspected.header.typ).toBe('writ-checkpoint+jwt')
    expect(inspected.claims.iss).toBe('writ-cli')
    const verified = await ws.writ('verify', '--keys', 'keys.json', output.token, '--json')
    expect(verified.code).toBe(0)
    expect(JSON.parse(verified.stdout).claims).toMatchObject({ chain: 'main', size: 2 })
  })

  it('defaults to the chain a gate writes to, main: the checkpoint covers what decide stored', async () => {
    await decideInStore(10)
    const { code, output } = await writJson(
      ws,
      ...['checkpoint', '--store', 'receipts.db', '--key', 'signing.jwk'],
    )
    expect(code).toBe(0)
    expect(output).toMatchObject({ chain: 'main', size: 1 })
  })

  it.each([
    ['a chain the store does not hold', ['--chain', 'nosuch'], 'CHAIN_UNKNOWN'],
    ['a store without any receipt', [], 'CHAIN_UNKNOWN'],
  ])('refuses %s with exit 3 and nothing signed', async (_label, extra, code) => {
    if (extra.length > 0) await decideInStore(10)
    else runSql(ws, 'VACUUM')
    const result = await ws.writ(
      ...['checkpoint', '--store', 'receipts.db', '--key', 'signing.jwk', ...extra],
    )
    expect(result.code).toBe(3)
    expect(result.stdout).toBe('')
    expect(result.stderr).toMatch(new RegExp(`^writ: ${code}: `))
  })

  it('exits 3 on a missing store', async () => {
    expect(
      (await ws.writ('checkpoint', '--store', 'missing.db', '--key', 'signing.jwk')).code,
    ).toBe(3)
  })
})
