// The API report check that `npm test` runs (scripts/api-report.mjs) writes one report
// per public entry point, leaves `./internal` out, and fails when a report no longer
// matches the built types, or when an entry point is gone.
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))
const script = join(root, 'scripts', 'api-report.mjs')
// Inside the repository's node_modules, so the fixture resolves @types/node as the
// packages do.
const fixture = join(root, 'node_modules', '.cache', 'api-report-fixture', String(process.pid))

function writeFixture(files: Record<string, string>): void {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(fixture, name, '..'), { recursive: true })
    writeFileSync(join(fixture, name), text)
  }
}

function report(...args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, ...args, fixture], (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code), output: stdout + stderr })
    })
  })
}

const exportsMap = {
  '.': { types: './dist/index.d.ts', default: './dist/index.js' },
  './extra': { types: './dist/extra.d.ts', default: './dist/extra.js' },
  './internal': { types: './dist/internal.d.ts', default: './dist/internal.js' },
  './package.json': './package.json',
}

beforeAll(() => {
  writeFixture({
    'package.json': JSON.stringify({
      name: '@writ/fixture',
      version: '0.0.0',
      exports: exportsMap,
    }),
    'dist/index.d.ts': 'export declare function decide(action: string): boolean;\n',
    'dist/extra.d.ts': 'export declare const EXTRA: 1;\n',
    'dist/internal.d.ts': 'export declare function helper(): void;\n',
  })
})

afterAll(() => {
  rmSync(fixture, { recursive: true, force: true })
})

describe('scripts/api-report.mjs', { timeout: 120_000 }, () => {
  it('writes a report per public entry point, none for ./internal, then finds them current', async () => {
    const written = await report('--update')
    expect(written.code).toBe(0)
    expect(readdirSync(join(fixture, 'etc')).sort()).toEqual([
      'fixture-extra.api.md',
      'fixture.api.md',
    ])
    expect(readFileSync(join(fixture, 'etc', 'fixture.api.md'), 'utf8')).toContain(
      'export function decide(action: string): boolean;',
    )
    const checked = await report()
    expect(checked.code).toBe(0)
    expect(checked.output).toContain('2 API reports up to date')
  })

  it('fails on a changed signature, naming the stale report and showing the change', async () => {
    writeFixture({
      'dist/index.d.ts':
        'export declare function decide(action: string, strict: boolean): boolean;\n',
    })
    const checked = await report()
    expect(checked.code).toBe(1)
    expect(checked.output).toContain('etc/fixture.api.md is stale')
    expect(checked.output).toContain('+export function decide(action: string, strict: boolean)')
    expect(checked.output).not.toContain('fixture-extra.api.md is stale')
  })

  it('fails on a report whose entry point is gone, and --update deletes it', async () => {
    const { './extra': _removed, ...rest } = exportsMap
    writeFixture({
      'package.json': JSON.stringify({ name: '@writ/fixture', version: '0.0.0', exports: rest }),
    })
    const checked = await report()
    expect(checked.code).toBe(1)
    expect(checked.output).toContain('fixture-extra.api.md has no entry point any more')
    expect((await report('--update')).code).toBe(0)
    expect(existsSync(join(fixture, 'etc', 'fixture-extra.api.md'))).toBe(false)
    expect((await report()).code).toBe(0)
  })
})
