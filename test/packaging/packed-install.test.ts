// Installs every published package the way a user does: from its packed tarball, into
// a fresh project outside the workspace, with third-party dependencies from the
// registry (npm cache first). Workspace links hide a file missing from `files`, an
// undeclared dependency or a broken `bin`; this install does not.
//
// One install for every check. The SQLite store needs no native module where Node has a
// usable `node:sqlite` (22.16+): there the consumer installs no better-sqlite3 at all, and
// the test checks that none arrived. On older Node it installs better-sqlite3 itself, as
// the store's README tells users to; its native build is taken from the workspace's own
// (same version, same Node) through prebuild-install's local prebuilds, so the test spends
// its time on Writ's packages rather than on compiling SQLite again. The packages must be
// built first: `npm test` builds them; alone, run `npm run build`.
import { execFile } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
// @ts-expect-error: a plain ESM helper of the release scripts, without declarations
import { publishedPackages } from '../../scripts/published-packages.mjs'
import { cleanEnvironment } from '../support/clean-environment.js'

interface PublishedPackage {
  readonly name: string
  readonly directory: string
  readonly relativeDirectory: string
  readonly manifest: {
    readonly version: string
    readonly exports?: Record<string, unknown>
    readonly bin?: Record<string, string>
  }
}

interface PackResult {
  readonly name: string
  readonly filename: string
  readonly files: readonly { readonly path: string }[]
}

const execFileAsync = promisify(execFile)
const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url))
const programs = fileURLToPath(new URL('./programs/', import.meta.url))
const packages = (publishedPackages as () => PublishedPackage[])()

async function command(
  file: string,
  args: readonly string[],
  cwd: string,
  timeout = 240_000,
  extraEnvironment: NodeJS.ProcessEnv = {},
) {
  return execFileAsync(file, args, {
    cwd,
    env: { ...cleanEnvironment(), ...extraEnvironment },
    timeout,
    maxBuffer: 64 * 1024 * 1024,
  })
}

/** True when the store's `auto` driver is `node:sqlite` here (Node 22.16 or later). */
const nodeSqliteUsable = (() => {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
  return major > 22 || (major === 22 && minor >= 16)
})()

/**
 * A folder of prebuild-install "local prebuilds" holding the workspace's own build of
 * better-sqlite3 for this Node, and the exact version to install against it.
 */
async function localBetterSqlite3(into: string): Promise<{ version: string; folder: string }> {
  const source = join(repositoryRoot, 'node_modules', 'better-sqlite3')
  const { version } = JSON.parse(readFileSync(join(source, 'package.json'), 'utf8')) as {
    version: string
  }
  const folder = join(into, 'prebuilds')
  mkdirSync(folder)
  const name = `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`
  await command('tar', ['czf', join(folder, name), 'build/Release/better_sqlite3.node'], source)
  return { version, folder }
}

let workDirectory = ''
let project = ''
let packed: PackResult[] = []

/** Runs one of the programs in the installed project and parses its last output line. */
async function runProgram(file: string): Promise<Record<string, unknown>> {
  const { stdout } = await command(process.execPath, [file], project, 60_000)
  const lines = stdout.trim().split('\n')
  return JSON.parse(lines[lines.length - 1] ?? 'null') as Record<string, unknown>
}

beforeAll(async () => {
  for (const entry of packages) {
    if (!existsSync(join(entry.directory, 'dist', 'index.js')))
      throw new Error(`${entry.name} is not built: run "npm run build" first`)
  }
  workDirectory = mkdtempSync(join(tmpdir(), 'writ-packed-'))
  const tarballs = join(workDirectory, 'tarballs')
  project = join(workDirectory, 'project')
  mkdirSync(tarballs)
  mkdirSync(project)

  const { stdout } = await command(
    'npm',
    [
      'pack',
      '--json',
      '--pack-destination',
      tarballs,
      ...packages.flatMap((entry) => ['-w', entry.relativeDirectory]),
    ],
    repositoryRoot,
  )
  packed = JSON.parse(stdout) as PackResult[]

  writeFileSync(
    join(project, 'package.json'),
    `${JSON.stringify({ name: 'writ-packed-install', private: true, type: 'module', allowScripts: { 'better-sqlite3': true } }, null, 2)}\n`,
  )
  for (const file of [
    'core-verify-sqlite.mjs',
    'openai.mjs',
    'langchain.mjs',
    'fetch.mjs',
    'getting-started.mjs',
    'consumer.ts',
  ])
    copyFileSync(join(programs, file), join(project, file))
  writeFileSync(
    join(project, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2023', 'DOM'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        // Not exactOptionalPropertyTypes: LangChain's and LangSmith's own declarations
        // do not compile under it, and the workspace's typecheck already holds Writ's
        // sources to it.
        noUncheckedIndexedAccess: true,
        verbatimModuleSyntax: true,
        // The published declarations themselves are checked: a .d.ts that imports a
        // package only a devDependency provides fails here, as in a strict user project.
        skipLibCheck: false,
        noEmit: true,
        types: [],
      },
      files: ['consumer.ts'],
    }),
  )

  const sqlite = nodeSqliteUsable ? undefined : await localBetterSqlite3(workDirectory)
  await command(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--loglevel=error',
      ...packed.map((entry) => join(tarballs, entry.filename)),
      'openai@6',
      '@langchain/core@1',
      // The optional peer behind @writ/langchain's middleware, as its users install it.
      'langchain@1',
      'zod@4',
      // The SQLite driver a Node without node:sqlite needs, as the store's README says.
      ...(sqlite === undefined ? [] : [`better-sqlite3@${sqlite.version}`]),
    ],
    project,
    400_000,
    sqlite === undefined ? {} : { npm_config_better_sqlite3_local_prebuilds: sqlite.folder },
  )
}, 420_000)

afterAll(() => {
  if (workDirectory !== '') rmSync(workDirectory, { recursive: true, force: true })
})

describe('packed tarballs', () => {
  it('packs every published package, with its build, README, LICENSE and no tests or sources', () => {
    expect(packed.map((entry) => entry.name).sort()).toEqual(
      packages.map((entry) => entry.name).sort(),
    )
    for (const entry of packed) {
      const paths = entry.files.map((file) => file.path)
      expect(paths, entry.name).toContain('package.json')
      expect(paths, entry.name).toContain('README.md')
      expect(paths, entry.name).toContain('dist/index.js')
      expect(paths, entry.name).toContain('dist/index.d.ts')
      expect(paths, entry.name).toContain('LICENSE')
      expect(
        paths.filter((path) => path.endsWith('.d.ts.map')),
        entry.name,
      ).toEqual([])
      expect(
        paths.filter((path) => /\.test\.|^src\/|^test\/|tsconfig/.test(path)),
        entry.name,
      ).toEqual([])
    }
  })

  it("ships the console's browser verifier, which the server's build bundles and git ignores", () => {
    const server = packed.find((entry) => entry.name === '@writ/server')
    const paths = server?.files.map((file) => file.path) ?? []
    expect(paths).toContain('assets/console-verify.js')
    expect(paths).toContain('assets/console.js')
  })

  it('installs no native SQLite module where node:sqlite serves the store', () => {
    // On Node 22.16+ nothing in Writ's dependency tree pulls better-sqlite3 in: the store
    // and the CLI name it as an optional peer only.
    expect(existsSync(join(project, 'node_modules', 'better-sqlite3'))).toBe(!nodeSqliteUsable)
  })

  it('installs every package with its declared dependencies only', () => {
    for (const entry of packages) {
      const installed = JSON.parse(
        readFileSync(join(project, 'node_modules', entry.name, 'package.json'), 'utf8'),
      ) as { version: string }
      expect(installed.version, entry.name).toBe(entry.manifest.version)
      // Installed from the tarball, never a link back into the workspace.
      expect(existsSync(join(project, 'node_modules', entry.name, 'src')), entry.name).toBe(false)
    }
  })

  it('loads every entry point of every package', async () => {
    const specifiers = packages.flatMap((entry) =>
      Object.keys(entry.manifest.exports ?? {})
        .filter((subpath) => subpath !== './package.json' && subpath !== './testing')
        .map((subpath) => (subpath === '.' ? entry.name : `${entry.name}/${subpath.slice(2)}`)),
    )
    const program = `for (const specifier of ${JSON.stringify(specifiers)}) { const loaded = await import(specifier); if (Object.keys(loaded).length === 0) throw new Error(specifier + ' exports nothing') }\nconsole.log(JSON.stringify({ loaded: ${specifiers.length} }))\n`
    writeFileSync(join(project, 'entry-points.mjs'), program)
    expect(await runProgram('entry-points.mjs')).toEqual({ loaded: specifiers.length })
  })

  // tsc over every published declaration takes ~15 s on 2 cores, twice that beside the other
  // test worker's benchmarks: the test waits as long as the command may run.
  it('type-checks a strict NodeNext consumer against the published declarations', async () => {
    const tsc = join(repositoryRoot, 'node_modules', 'typescript', 'bin', 'tsc')
    const result = await command(
      process.execPath,
      [tsc, '-p', 'tsconfig.json'],
      project,
      120_000,
    ).catch((error: { stdout?: string; code?: number }) => ({
      stdout: error.stdout ?? '',
      failed: error.code,
    }))
    expect(result.stdout).toBe('')
  }, 120_000)
})

describe('the installed packages work', () => {
  it('core + verify + store-sqlite: decides, signs, stores, verifies and audits the chain', async () => {
    const result = await runProgram('core-verify-sqlite.mjs')
    expect(result).toEqual({
      executed: [{ to: 'acme', amount: 250 }],
      permit: 'PERMIT',
      refused: ['SILENCE', 'CONDITION_FALSE'],
      invalid: ['DENY', 'INPUT_INVALID'],
      replayCode: 'REPLAYED',
      swapCode: 'ARGS_MISMATCH',
      chain: { valid: true, size: 3 },
      truncated: 'CHECKPOINT_MISMATCH',
    })
  })

  it('openai: runs a permitted tool call and answers a refused one with its receipt', async () => {
    expect(await runProgram('openai.mjs')).toEqual({
      executed: [{ to: 'alice', amount: 250 }],
      ids: ['call_1', 'call_2'],
      refusal: ['SILENCE', 'CONDITION_FALSE', 'string'],
    })
  })

  it('langchain: gateTool runs the permitted call and refuses the denied one', async () => {
    expect(await runProgram('langchain.mjs')).toEqual({
      executed: [{ to: 'alice', amount: 250 }],
      permitted: ['success', 'sent 250 to alice'],
      denied: ['error', 'DENY', 'SANCTIONED_PAYEE'],
    })
  })

  it('fetch: the receiver executes only the request that carries its PERMIT', async () => {
    expect(await runProgram('fetch.mjs')).toEqual({
      executed: [{ to: 'alice', amount: 250 }],
      statuses: [200, 403, 401],
      directCode: 'RECEIPT_MISSING',
      receiverGuard: 'function',
    })
  })

  it('the writ bin: keygen, keys export, policy check, decide, verify', async () => {
    const writ = join(project, 'node_modules', '.bin', 'writ')
    const version = await command(writ, ['--version'], project, 30_000)
    expect(version.stdout).toContain(
      packages.find((entry) => entry.name === '@writ/cli')?.manifest.version,
    )

    const keygen = await command(
      writ,
      ['keygen', '--out', 'authority.jwk', '--json'],
      project,
      30_000,
    )
    const { kid } = JSON.parse(keygen.stdout) as { kid: string }
    const exported = await command(
      writ,
      ['keys', 'export', '--key', 'authority.jwk'],
      project,
      30_000,
    )
    writeFileSync(join(project, 'keys.json'), exported.stdout)
    const keySet = JSON.parse(exported.stdout) as { keys: { kid: string; d?: string }[] }
    expect(keySet.keys.map((key) => key.kid)).toEqual([kid])
    expect(keySet.keys[0]?.d).toBeUndefined()

    writeFileSync(
      join(project, 'policy.yaml'),
      'writ: 1\nid: payments\nrules:\n  - id: small-transfers\n    effect: permit\n    actions: [payments.transfer]\n    when: args.amount <= 1000\n',
    )
    const check = await command(writ, ['policy', 'check', 'policy.yaml', '--json'], project, 30_000)
    expect(JSON.parse(check.stdout)).toMatchObject({ valid: true, id: 'payments' })

    const decide = await command(
      writ,
      [
        'decide',
        '--policy',
        'policy.yaml',
        '--key',
        'authority.jwk',
        '--action',
        'payments.transfer',
        '--args',
        '{"to":"acme","amount":250}',
        '--store',
        'receipts.db',
        '--json',
      ],
      project,
      30_000,
    )
    const decided = JSON.parse(decide.stdout) as { decision: string; receipt: string }
    expect(decided.decision).toBe('PERMIT')
    writeFileSync(join(project, 'receipt.jwt'), decided.receipt)

    const verify = await command(
      writ,
      ['verify', '--keys', 'keys.json', 'receipt.jwt', '--json'],
      project,
      30_000,
    )
    expect(JSON.parse(verify.stdout)).toMatchObject({ valid: true, claims: { decision: 'PERMIT' } })

    const chain = await command(
      writ,
      ['chain', 'verify', '--store', 'receipts.db', '--keys', 'keys.json', '--json'],
      project,
      30_000,
    )
    expect(JSON.parse(chain.stdout)).toMatchObject({ valid: true })
  })

  it('the getting-started guide works as written, with the files the bin made', async () => {
    expect(await runProgram('getting-started.mjs')).toEqual({
      transfers: [{ to: 'acme', amount: 250 }],
      permit: ['PERMIT', 'agent:treasury-bot'],
      refusal: ['SILENCE', 'CONDITION_FALSE'],
      chain: ['main', true, 2],
    })
  })
})
