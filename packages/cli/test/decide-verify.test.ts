import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  decideArgv,
  decideArgvWith,
  signingWorkspace,
  useWorkspace,
  withEditedClaims,
} from './helpers.js'

const ws = useWorkspace(() => signingWorkspace())

const decide = (args: string, ...extra: string[]) => ws.writ(...decideArgv(args, ...extra))

describe('writ decide', () => {
  it('prints a PERMIT receipt that writ verify accepts (round trip)', async () => {
    const decided = await decide(
      '{"to":"acme","amount":250}',
      '--agent',
      'bot-7',
      '--request',
      'req-1',
    )
    expect(decided.code).toBe(0)
    expect(decided.stderr).toContain('nothing is kept')
    const token = decided.stdout.trim()
    expect(token.split('.')).toHaveLength(3)

    const verified = await ws.writ('verify', '--keys', 'keys.json', token, '--json')
    expect(verified.code).toBe(0)
    const report = JSON.parse(verified.stdout)
    expect(report.valid).toBe(true)
    expect(report.claims.decision).toBe('PERMIT')
    expect(report.claims.rule).toBe('small-transfers')
    expect(report.claims.sub).toBe('bot-7')
    expect(report.claims.req).toBe('req-1')
    expect(report.claims.chain.seq).toBe(0)
    expect(report.claims.chain.prev).toBeNull()
  })

  it('--json gives decision, reason, rule, receipt and claims; a DENY still exits 0', async () => {
    const decided = await decide('{"to":"mallory","amount":5}', '--json')
    expect(decided.code).toBe(0)
    const output = JSON.parse(decided.stdout)
    expect(output.decision).toBe('DENY')
    expect(output.reason).toBe('SANCTIONED_PAYEE')
    expect(output.rule).toBe('sanctioned')
    expect(output.claims.decision).toBe('DENY')
    expect(typeof output.receipt).toBe('string')
    expect(output).not.toHaveProperty('problem')
  })

  it('SILENCE when no permit holds, with rule null', async () => {
    const output = JSON.parse((await decide('{"to":"acme","amount":5000}', '--json')).stdout)
    expect(output.decision).toBe('SILENCE')
    expect(output.rule).toBeNull()
    expect(output.reason).toBe('CONDITION_FALSE')
  })

  it('refuses invalid arguments with a DENY receipt and a problem, exit 0', async () => {
    const decided = await decide('{"to":"acme","amount":10,"amount":90000}', '--json')
    expect(decided.code).toBe(0)
    const output = JSON.parse(decided.stdout)
    expect(output.decision).toBe('DENY')
    expect(output.reason).toBe('INPUT_INVALID')
    expect(output.problem.code).toBe('INPUT_DUPLICATE_KEY')
    const verified = await ws.writ('verify', '--keys', 'keys.json', output.receipt)
    expect(verified.code).toBe(0)
  })

  it('reads --args from @FILE', async () => {
    ws.write('args.json', '{"to":"acme","amount":1}')
    const output = JSON.parse((await decide('@args.json', '--json')).stdout)
    expect(output.decision).toBe('PERMIT')
  })

  it.each([
    ['a missing @FILE', decideArgv('@nope.json'), 3],
    ['a missing policy', decideArgvWith({ policy: 'nope.yaml', action: 'a' }, '{}'), 3],
    ['a missing key', decideArgvWith({ key: 'nope.jwk', action: 'a' }, '{}'), 3],
    ['an invalid policy', decideArgvWith({ policy: 'bad.yaml', action: 'a' }, '{}'), 1],
    [
      'no --action',
      ['decide', '--policy', 'policy.yaml', '--key', 'signing.jwk', '--args', '{}'],
      2,
    ],
  ])('exits with its code on %s', async (_name, argv, code) => {
    ws.write(
      'bad.yaml',
      'writ: 1\nid: bad\nrules:\n  - id: r\n    effect: maybe\n    actions: [a]\n',
    )
    const result = await ws.writ(...argv)
    expect(result.code).toBe(code)
    const expected = { 1: 'POLICY_INVALID', 2: 'USAGE' }[code as 1 | 2]
    if (expected !== undefined) expect(result.stderr).toMatch(new RegExp(`^writ: ${expected}: `))
  })

  it('rejects unknown flags as usage errors', async () => {
    const result = await decide('{}', '--frobnicate')
    expect(result.code).toBe(2)
  })
})

describe('writ verify', () => {
  it('fails with SIGNATURE_INVALID on an edited receipt (exit 1, --json parses)', async () => {
    const token = (await decide('{"to":"mallory","amount":5}')).stdout.trim()
    const forged = withEditedClaims(token, (claims) => {
      claims['decision'] = 'PERMIT'
    })
    const result = await ws.writ('verify', '--keys', 'keys.json', forged, '--json')
    expect(result.code).toBe(1)
    const report = JSON.parse(result.stdout)
    expect(report.valid).toBe(false)
    expect(report.code).toBe('SIGNATURE_INVALID')
    expect(result.stderr).toMatch(/^writ: SIGNATURE_INVALID: /)
  })

  it('fails with KEY_UNKNOWN under another key set', async () => {
    const token = (await decide('{"to":"acme","amount":5}')).stdout.trim()
    await ws.writ('keygen', '--out', 'other.jwk')
    ws.write('other.json', (await ws.writ('keys', 'export', '--key', 'other.jwk')).stdout)
    const result = await ws.writ('verify', '--keys', 'other.json', token, '--json')
    expect(result.code).toBe(1)
    expect(JSON.parse(result.stdout).code).toBe('KEY_UNKNOWN')
  })

  it('reads the token from a file, and MALFORMED garbage exits 1', async () => {
    ws.write('receipt.jwt', (await decide('{"to":"acme","amount":5}')).stdout)
    expect((await ws.writ('verify', '--keys', 'keys.json', 'receipt.jwt')).code).toBe(0)
    ws.write('garbage.jwt', 'not.a.token')
    const garbage = await ws.writ('verify', '--keys', 'keys.json', 'garbage.jwt', '--json')
    expect(garbage.code).toBe(1)
    expect(JSON.parse(garbage.stdout).code).toBe('MALFORMED')
  })

  it('exits 3 on a missing token file or key set, 2 without --keys', async () => {
    expect((await ws.writ('verify', '--keys', 'keys.json', 'missing.jwt')).code).toBe(3)
    expect((await ws.writ('verify', '--keys', 'missing.json', 'a.b.c')).code).toBe(3)
    expect((await ws.writ('verify', 'a.b.c')).code).toBe(2)
  })

  it('refuses a key set file holding a private key (exit 3)', async () => {
    const token = (await decide('{"to":"acme","amount":5}')).stdout.trim()
    const privateKey = JSON.parse(readFileSync(ws.path('signing.jwk'), 'utf8'))
    ws.write('leaky.json', JSON.stringify({ keys: [privateKey] }))
    const result = await ws.writ('verify', '--keys', 'leaky.json', token)
    expect(result.code).toBe(3)
    expect(result.stderr).toMatch(/^writ: KEYSET_INVALID: /)
  })
})
