import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decideArgv, PAYMENTS_POLICY, type Workspace, workspace } from './helpers.js'

const root = fileURLToPath(new URL('../../..', import.meta.url))
const bin = fileURLToPath(new URL('../dist/bin.js', import.meta.url))

let ws: Workspace

function writ(...argv: string[]) {
  const result = spawnSync(process.execPath, [bin, ...argv], { cwd: ws.dir, encoding: 'utf8' })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

beforeAll(() => {
  // `npm test` builds every package first; a bare vitest run builds this one (and its dependencies) here.
  if (!existsSync(bin)) {
    execFileSync(
      'npx',
      ['turbo', 'run', 'build', '--filter=@writ/cli', '--output-logs=errors-only'],
      {
        cwd: root,
        stdio: 'ignore',
      },
    )
  }
  ws = workspace()
  ws.write('policy.yaml', PAYMENTS_POLICY)
}, 120_000)
afterAll(() => ws?.remove())

describe('the built writ executable', () => {
  it('starts with a node shebang', () => {
    expect(existsSync(bin)).toBe(true)
    expect(readFileSync(bin, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node')
  })

  it('runs keygen, keys export, decide and verify end to end with real exit codes', () => {
    expect(writ('keygen', '--out', 'signing.jwk').code).toBe(0)
    const exported = writ('keys', 'export', '--key', 'signing.jwk')
    expect(exported.code).toBe(0)
    ws.write('keys.json', exported.stdout)
    const decided = writ(...decideArgv('{"to":"acme","amount":5}', '--store', 'receipts.db'))
    expect(decided.code).toBe(0)
    const verified = writ('verify', '--keys', 'keys.json', decided.stdout.trim(), '--json')
    expect(verified.code).toBe(0)
    expect(JSON.parse(verified.stdout).claims.decision).toBe('PERMIT')
    expect(writ('chain', 'verify', '--store', 'receipts.db', '--keys', 'keys.json').code).toBe(0)
  })

  it('exits 2 on a usage error and 3 on a missing file, with the code on stderr', () => {
    const usage = writ('nope')
    expect(usage.code).toBe(2)
    expect(usage.stderr).toMatch(/^writ: USAGE: /)
    const missing = writ('policy', 'check', 'missing.yaml')
    expect(missing.code).toBe(3)
    expect(missing.stderr).toMatch(/^writ: IO_ERROR: /)
  })

  it('prints the version', () => {
    const result = writ('--version')
    expect(result.code).toBe(0)
    expect(result.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/)
  })
})
