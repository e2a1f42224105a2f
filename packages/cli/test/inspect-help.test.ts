import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { decideArgv, PAYMENTS_POLICY, useWorkspace } from './helpers.js'

const ws = useWorkspace()

describe('writ inspect', () => {
  it('decodes a receipt with ISO times and says it did not verify', async () => {
    ws.write('policy.yaml', PAYMENTS_POLICY)
    await ws.writ('keygen', '--out', 'signing.jwk')
    const token = (await ws.writ(...decideArgv('{"to":"acme","amount":3}'))).stdout.trim()
    const result = await ws.writ('inspect', token)
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('NOT VERIFIED')
    expect(result.stdout).toMatch(/iat\s+\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z \(\d+\)/)
    expect(result.stdout).toMatch(/decision\s+PERMIT/)
    const json = JSON.parse((await ws.writ('inspect', token, '--json')).stdout)
    expect(json.verified).toBe(false)
    expect(json.header.typ).toBe('writ-receipt+jwt')
    expect(json.claims.act.name).toBe('payments.transfer')
  })

  it('exits 3 on something that is not a token', async () => {
    ws.write('bad.jwt', 'abc.def.ghi')
    expect((await ws.writ('inspect', 'bad.jwt')).code).toBe(3)
    expect((await ws.writ('inspect', 'no-such-file')).code).toBe(3)
  })
})

describe('writ help and --version', () => {
  it('prints the version of the package', async () => {
    const version = JSON.parse(
      readFileSync(new URL('../package.json', import.meta.url), 'utf8'),
    ).version
    const result = await ws.writ('--version')
    expect(result.code).toBe(0)
    expect(result.stdout.trim()).toBe(version)
  })

  it('lists every command and the exit codes', async () => {
    const result = await ws.writ('help')
    expect(result.code).toBe(0)
    for (const name of [
      'keygen',
      'keys export',
      'policy check',
      'policy test',
      'policy explain',
      'decide',
      'verify',
      'chain verify',
      'checkpoint',
      'inspect',
    ]) {
      expect(result.stdout).toContain(name)
    }
    expect(result.stdout).toContain('Exit codes')
  })

  it('prints one command’s help with help CMD and with --help', async () => {
    const viaHelp = await ws.writ('help', 'chain', 'verify')
    const viaFlag = await ws.writ('chain', 'verify', '--help')
    expect(viaHelp.code).toBe(0)
    expect(viaFlag.code).toBe(0)
    expect(viaHelp.stdout).toBe(viaFlag.stdout)
    expect(viaHelp.stdout).toContain('--checkpoint')
  })

  it('exits 2 on an unknown command, a missing command or a bad subcommand', async () => {
    const unknown = await ws.writ('frobnicate')
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/^writ: USAGE: /)
    expect((await ws.writ()).code).toBe(2)
    expect((await ws.writ('policy', 'lint')).code).toBe(2)
    expect((await ws.writ('help', 'nope')).code).toBe(2)
    expect((await ws.writ('inspect', 'a', 'b')).code).toBe(2)
  })
})
