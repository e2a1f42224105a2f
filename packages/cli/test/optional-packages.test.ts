/**
 * `@writ/server`, `@writ/store-postgres` and `pg` are optional peers of `@writ/cli`: a
 * user who only signs and verifies installs none of them. The built `writ` runs here
 * with those packages made unfindable (a module resolve hook), the way a fresh install
 * without them sees it: keygen, decide and chain verify on SQLite work; serve and a
 * PostgreSQL store stop with DEPENDENCY_MISSING (exit 3) naming what to install.
 *
 * And `npx writ` works in the checkout: the bin is a committed file outside dist/, so
 * npm links it into node_modules/.bin at install time.
 */
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { decideArgv, PAYMENTS_POLICY, type Workspace, workspace } from './helpers.js'

const root = fileURLToPath(new URL('../../..', import.meta.url))
const packageDirectory = fileURLToPath(new URL('..', import.meta.url))
const manifest = JSON.parse(readFileSync(`${packageDirectory}package.json`, 'utf8')) as {
  version: string
  bin: Record<string, string>
  peerDependenciesMeta: Record<string, { optional?: boolean }>
  dependencies: Record<string, string>
}
const bin = fileURLToPath(new URL('../bin/writ.js', import.meta.url))
const optional = ['@writ/server', '@writ/store-postgres', 'pg', 'hono', '@hono/node-server']

// A resolve hook that answers "not found" for the optional packages, like a missing install.
const hiding = `data:text/javascript,${encodeURIComponent(`
import { register } from 'node:module'
register('data:text/javascript,' + encodeURIComponent(\`
const hidden = new Set(${JSON.stringify(optional)})
export async function resolve(specifier, context, next) {
  const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]
  if (hidden.has(name)) {
    const error = new Error("Cannot find package '" + name + "' imported from " + context.parentURL)
    error.code = 'ERR_MODULE_NOT_FOUND'
    throw error
  }
  return next(specifier, context)
}\`))
`)}`

let ws: Workspace

function writ(...argv: string[]) {
  const result = spawnSync(process.execPath, ['--import', hiding, bin, ...argv], {
    cwd: ws.dir,
    encoding: 'utf8',
    env: { ...process.env, WRIT_STORE_URL: '', WRIT_STORE: '' },
  })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

beforeAll(() => {
  if (!existsSync(fileURLToPath(new URL('../dist/bin.js', import.meta.url))))
    execFileSync(
      'npx',
      ['turbo', 'run', 'build', '--filter=@writ/cli', '--output-logs=errors-only'],
      {
        cwd: root,
        stdio: 'ignore',
      },
    )
  ws = workspace()
  ws.write('policy.yaml', PAYMENTS_POLICY)
}, 120_000)
afterAll(() => ws?.remove())

describe('the optional packages of @writ/cli', () => {
  it('are optional peers, not dependencies', () => {
    for (const name of ['@writ/server', '@writ/store-postgres', 'pg']) {
      expect(manifest.dependencies[name], name).toBeUndefined()
      expect(manifest.peerDependenciesMeta[name]?.optional, name).toBe(true)
    }
  })

  it('are not needed to sign, decide and audit a SQLite chain', () => {
    expect(writ('keygen', '--out', 'signing.jwk').code).toBe(0)
    const exported = writ('keys', 'export', '--key', 'signing.jwk')
    ws.write('keys.json', exported.stdout)
    expect(writ(...decideArgv('{"to":"acme","amount":5}', '--store', 'receipts.db')).code).toBe(0)
    const audit = writ('chain', 'verify', '--store', 'receipts.db', '--keys', 'keys.json')
    expect(audit.stderr).toBe('')
    expect(audit.code).toBe(0)
  })

  it.each([
    [['serve', '--policy', 'policy.yaml'], '@writ/server'],
    [['token', 'new', '--agent', 'a'], '@writ/server'],
    [
      ['chain', 'verify', '--store', 'postgres://writ@127.0.0.1:1/none', '--keys', 'keys.json'],
      '@writ/store-postgres',
    ],
  ])('stop "writ %s" with DEPENDENCY_MISSING naming %s', (argv, missing) => {
    const result = writ(...argv)
    expect(result.code).toBe(3)
    expect(result.stderr).toMatch(/^writ: DEPENDENCY_MISSING: /)
    expect(result.stderr).toContain(`npm install ${missing}`)
  })
})

describe('npx writ in the checkout', () => {
  it('links a committed bin file that exists before any build', () => {
    // dist/ is built after install; npm skips a bin whose file is not there yet.
    expect(manifest.bin['writ']).toBe('./bin/writ.js')
    expect(readFileSync(bin, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node')
  })

  it('runs writ from the repository root', () => {
    const result = spawnSync('npx', ['--no', '--', 'writ', '--version'], {
      cwd: root,
      encoding: 'utf8',
    })
    expect(result.status).toBe(0)
    expect(result.stdout.trim()).toBe(manifest.version)
  })
})
