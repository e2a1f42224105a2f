// The maintainer's path against a real registry, on 127.0.0.1 only: Verdaccio with a
// throwaway user; on a copy of the repository, `changeset version`, the package checks
// and `changeset publish`; then a fresh project outside the workspace installs
// @writ/core, @writ/openai and @writ/cli by name and version and runs a program and
// `writ --version`. A second publish of the same version is refused; a published
// package missing from the registry fails the test. The repository is never written.
//
// The packages must be built first (`npm test` builds them). The build itself, publint,
// attw and the API reports are checked by `npm test`; here the release runs on the
// built `dist` folders with the field checks, to stay within about two minutes.
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
// @ts-expect-error: a plain ESM helper of the release scripts, without declarations
import { publishedPackages } from '../../scripts/published-packages.mjs'

const run = promisify(execFile)
const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url))
const packageNames = (publishedPackages as () => { name: string }[])().map((entry) => entry.name)

let work = ''
let copy = ''
let registry = ''
let verdaccio: ChildProcess | undefined
let environment: NodeJS.ProcessEnv = {}
let version = ''

function listChangesets(directory: string): string[] {
  return readdirSync(join(directory, '.changeset'))
    .filter((name) => name.endsWith('.md') && name !== 'README.md')
    .map((name) => join(directory, '.changeset', name))
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0))
    })
  })
}

async function command(file: string, args: readonly string[], cwd: string, timeout = 120_000) {
  return run(file, args, { cwd, env: environment, timeout, maxBuffer: 64 * 1024 * 1024 })
}

/** The tracked and new files of the repository, and the built dist folders, copied. */
async function copyRepository(target: string): Promise<void> {
  const { stdout } = await run(
    'git',
    ['ls-files', '-z', '--cached', '--others', '--exclude-standard'],
    { cwd: repositoryRoot, maxBuffer: 64 * 1024 * 1024 },
  )
  for (const path of stdout.split('\0')) {
    if (path === '' || !existsSync(join(repositoryRoot, path))) continue
    mkdirSync(dirname(join(target, path)), { recursive: true })
    cpSync(join(repositoryRoot, path), join(target, path))
  }
  for (const entry of (publishedPackages as () => { relativeDirectory: string }[])())
    cpSync(
      join(repositoryRoot, entry.relativeDirectory, 'dist'),
      join(target, entry.relativeDirectory, 'dist'),
      {
        recursive: true,
      },
    )
  symlinkSync(join(repositoryRoot, 'node_modules'), join(target, 'node_modules'))
  // publishConfig.provenance needs the identity of a CI run (GitHub Actions OIDC), which a
  // local registry has not; npm gives publishConfig precedence over the environment.
  for (const entry of (publishedPackages as () => { relativeDirectory: string }[])()) {
    const path = join(target, entry.relativeDirectory, 'package.json')
    const manifest = JSON.parse(readFileSync(path, 'utf8')) as {
      publishConfig?: Record<string, unknown>
    }
    delete manifest.publishConfig?.['provenance']
    // Never the public registry, whatever the environment says.
    manifest.publishConfig = { ...manifest.publishConfig, registry }
    writeFileSync(path, `${JSON.stringify(manifest, null, 2)}\n`)
  }
}

/** The version a release of the pending changesets must give: below 1.0, a major is never implied. */
function expectedBump(directory: string): 'major' | 'minor' | 'patch' {
  const { stdout } = { stdout: readFileSync(join(directory, '.changeset', 'config.json'), 'utf8') }
  expect(stdout).toContain('onlyUpdatePeerDependentsWhenOutOfRange')
  let bump: 'major' | 'minor' | 'patch' = 'patch'
  for (const path of listChangesets(directory)) {
    const text = readFileSync(path, 'utf8')
    if (/:\s*major\s*$/m.test(text)) return 'major'
    if (/:\s*minor\s*$/m.test(text)) bump = 'minor'
  }
  return bump
}

async function startVerdaccio(): Promise<void> {
  const port = await freePort()
  registry = `http://127.0.0.1:${port}/`
  const config = join(work, 'verdaccio.yaml')
  writeFileSync(
    config,
    [
      `storage: ${join(work, 'storage')}`,
      'auth:',
      `  htpasswd: { file: ${join(work, 'htpasswd')}, max_users: 5 }`,
      'uplinks: {}', // nothing beyond 127.0.0.1
      'packages:',
      "  '@writ/*': { access: $all, publish: $authenticated }",
      "  '**': { access: $all, publish: $authenticated }",
      'log: { type: stdout, format: json, level: error }',
      '',
    ].join('\n'),
  )
  verdaccio = spawn(
    join(repositoryRoot, 'node_modules', '.bin', 'verdaccio'),
    ['--config', config, '--listen', `127.0.0.1:${port}`],
    { stdio: 'ignore' },
  )
  for (let attempt = 0; attempt < 300; attempt++) {
    const up = await fetch(`${registry}-/ping`).then(
      (response) => response.ok,
      () => false,
    )
    if (up) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error('Verdaccio did not start')
}

/** A throwaway user: Verdaccio answers the npm adduser call with a token. */
async function addUser(): Promise<string> {
  const name = 'writ-release-test'
  const response = await fetch(`${registry}-/user/org.couchdb.user:${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, password: `pw-${process.pid}-${Date.now()}`, type: 'user' }),
  })
  const body = (await response.json()) as { token?: string }
  if (response.status !== 201 || typeof body.token !== 'string')
    throw new Error(`adduser failed: ${response.status}`)
  return body.token
}

beforeAll(async () => {
  for (const name of ['core', 'openai', 'cli'])
    if (!existsSync(join(repositoryRoot, 'packages', name, 'dist', 'index.js')))
      throw new Error(`@writ/${name} is not built: run "npm run build" first`)
  work = mkdtempSync(join(tmpdir(), 'writ-registry-'))
  copy = join(work, 'repository')
  await startVerdaccio()
  await copyRepository(copy)
  const token = await addUser()
  const userConfig = join(work, 'npmrc')
  const host = registry.replace(/^http:/, '')
  writeFileSync(userConfig, `registry=${registry}\n${host}:_authToken=${token}\n`)
  environment = {
    PATH: process.env['PATH'],
    HOME: work,
    NPM_CONFIG_USERCONFIG: userConfig,
    // changesets reads the registry from here (or publishConfig), not from .npmrc files.
    NPM_CONFIG_REGISTRY: registry,
    NPM_CONFIG_CACHE: join(process.env['HOME'] ?? work, '.npm'),
    // Provenance needs a CI identity (GitHub OIDC); a local registry has none.
    NPM_CONFIG_PROVENANCE: 'false',
    NPM_CONFIG_UPDATE_NOTIFIER: 'false',
    NPM_CONFIG_FUND: 'false',
    NPM_CONFIG_AUDIT: 'false',
  }
}, 120_000)

afterAll(() => {
  verdaccio?.kill()
  if (work !== '') rmSync(work, { recursive: true, force: true })
})

describe('a release against a registry on 127.0.0.1', () => {
  it('versions, checks and publishes every package with changesets', async () => {
    const changeset = join(repositoryRoot, 'node_modules', '.bin', 'changeset')
    await command(changeset, ['version'], copy)
    version = (
      JSON.parse(readFileSync(join(copy, 'packages', 'core', 'package.json'), 'utf8')) as {
        version: string
      }
    ).version
    // From 0.0.0: a minor changeset makes 0.1.0. An internal peer of the CLI once made
    // changesets bump every package to 1.0.0.
    const bump = expectedBump(repositoryRoot)
    expect(version).toBe(bump === 'major' ? '1.0.0' : bump === 'minor' ? '0.1.0' : '0.0.1')
    for (const entry of (publishedPackages as () => { relativeDirectory: string }[])()) {
      const manifest = JSON.parse(
        readFileSync(join(copy, entry.relativeDirectory, 'package.json'), 'utf8'),
      ) as { version: string }
      expect(manifest.version, entry.relativeDirectory).toBe(version) // one fixed version
    }
    const checks = await command(
      process.execPath,
      ['scripts/check-packages.mjs', '--fields-only'],
      copy,
    ).catch((error: { stdout?: string }) => ({ stdout: `FAILED\n${error.stdout ?? ''}` }))
    expect(checks.stdout).not.toMatch(/^FAIL/m)
    const published = await command(changeset, ['publish'], copy, 180_000)
    expect(`${published.stdout}${published.stderr}`).not.toMatch(/error/i)

    // Every published package is on the registry, at the release version.
    const missing: string[] = []
    for (const name of packageNames) {
      const response = await fetch(`${registry}${name.replace('/', '%2f')}`)
      const document = response.ok
        ? ((await response.json()) as { versions?: Record<string, unknown> })
        : {}
      if (document.versions?.[version] === undefined) missing.push(name)
    }
    expect(missing).toEqual([])
  }, 200_000)

  it('refuses a second publish of the same version, and says so', async () => {
    const second = await command(
      'npm',
      ['publish', '--access', 'public'],
      join(copy, 'packages', 'core'),
    ).then(
      () => ({ failed: false, output: '' }),
      (error: { stdout?: string; stderr?: string }) => ({
        failed: true,
        output: `${error.stdout ?? ''}${error.stderr ?? ''}`,
      }),
    )
    expect(second.failed).toBe(true)
    expect(second.output).toMatch(/E403|E409|EPUBLISHCONFLICT|cannot publish over|already present/i)
  }, 150_000)

  it('installs core, openai and cli by name and version in a fresh project, and runs them', async () => {
    const project = join(work, 'fresh')
    mkdirSync(project)
    writeFileSync(
      join(project, 'package.json'),
      '{ "name": "fresh", "private": true, "type": "module" }\n',
    )
    // @writ/* from the local registry only (a scoped registry). Nothing here builds a
    // native module: better-sqlite3 is an optional peer of the store and the CLI.
    writeFileSync(
      join(project, '.npmrc'),
      `@writ:registry=${registry}\nregistry=https://registry.npmjs.org/\n`,
    )
    const specs = ['@writ/core', '@writ/openai', '@writ/cli'].map((name) => `${name}@${version}`)
    await command(
      'npm',
      [
        'install',
        // npm's cache first; a package missing there comes from the public registry, as
        // in the packed-install test.
        '--prefer-offline',
        '--registry=https://registry.npmjs.org/',
        ...specs,
        'openai@6',
      ],
      project,
      180_000,
    )
    writeFileSync(
      join(project, 'program.mjs'),
      `import { compilePolicy, createGate, generateSigningKey } from '@writ/core'
import { handleChatToolCalls } from '@writ/openai'
const gate = createGate({
  policy: compilePolicy('writ: 1\\nid: p\\nrules:\\n  - id: small\\n    effect: permit\\n    actions: [payments.transfer]\\n    when: args.amount > 0 && args.amount <= 1000\\n'),
  keys: generateSigningKey(),
  issuer: 'https://writ.test',
})
const ran = []
const answers = await handleChatToolCalls(gate, { tool_calls: [
  { id: 'a', type: 'function', function: { name: 'payments_transfer', arguments: '{"amount":5}' } },
  { id: 'b', type: 'function', function: { name: 'payments_transfer', arguments: '{"amount":-5}' } },
] }, { payments_transfer: (args) => { ran.push(args.amount); return 'ok' } }, { actionName: { payments_transfer: 'payments.transfer' } })
console.log(JSON.stringify({ ran, refused: JSON.parse(answers[1].content).decision }))
`,
    )
    const program = await command(process.execPath, ['program.mjs'], project)
    expect(JSON.parse(program.stdout.trim())).toEqual({ ran: [5], refused: 'SILENCE' })
    const writVersion = await command(
      join(project, 'node_modules', '.bin', 'writ'),
      ['--version'],
      project,
    )
    expect(writVersion.stdout.trim()).toBe(version)
    // The CLI and the store name better-sqlite3 as an optional peer: nothing native came.
    expect(existsSync(join(project, 'node_modules', 'better-sqlite3'))).toBe(false)
  }, 240_000)
})
