// The release's package checks catch what they claim to catch, on a throwaway
// package built in a temporary folder, and pass on every real published package.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'
// @ts-expect-error: a plain ESM helper of the release scripts, without declarations
import { checkManifest } from '../../scripts/package-checks.mjs'
// @ts-expect-error: a plain ESM helper of the release scripts, without declarations
import { publishedPackages } from '../../scripts/published-packages.mjs'

type Manifest = Record<string, unknown>
const check = checkManifest as (entry: {
  name: string
  directory: string
  relativeDirectory: string
  manifest: Manifest
}) => string[]

const good: Manifest = {
  name: '@writ/example',
  version: '1.2.3',
  description: 'An example package.',
  license: 'Apache-2.0',
  type: 'module',
  sideEffects: false,
  repository: {
    type: 'git',
    url: 'git+https://example.invalid/writ.git',
    directory: 'packages/example',
  },
  engines: { node: '>=20.19' },
  exports: {
    '.': { types: './dist/index.d.ts', default: './dist/index.js' },
    './package.json': './package.json',
  },
  files: ['dist', 'README.md'],
  bin: { example: './dist/bin.js' },
  dependencies: { '@writ/core': '1.2.3', yaml: '^2' },
  publishConfig: { access: 'public' },
}

const rootLicense = fileURLToPath(new URL('../../LICENSE', import.meta.url))
let directories: string[] = []
afterEach(() => {
  for (const directory of directories) rmSync(directory, { recursive: true, force: true })
  directories = []
})

/** A built package on disk: the manifest, a README, dist/index.js with `source`, a bin. */
function fixture(
  manifest: Manifest,
  source = "import { parse } from 'yaml'\nexport const a = parse\n",
) {
  const directory = mkdtempSync(join(tmpdir(), 'writ-package-check-'))
  directories.push(directory)
  mkdirSync(join(directory, 'dist'))
  writeFileSync(join(directory, 'package.json'), JSON.stringify(manifest))
  writeFileSync(
    join(directory, 'README.md'),
    `# example\n\n${'A package that exists only for a test. '.repeat(10)}\n`,
  )
  writeFileSync(join(directory, 'dist', 'index.js'), source)
  writeFileSync(join(directory, 'dist', 'index.d.ts'), 'export declare const a: unknown\n')
  writeFileSync(join(directory, 'dist', 'bin.js'), "#!/usr/bin/env node\nimport './index.js'\n")
  copyFileSync(rootLicense, join(directory, 'LICENSE'))
  return {
    name: String(manifest['name']),
    directory,
    relativeDirectory: 'packages/example',
    manifest,
  }
}

describe('package checks', () => {
  it('accept a correct package', () => {
    expect(check(fixture(good))).toEqual([])
  })

  it('accept a package that needs a newer Node major', () => {
    expect(check(fixture({ ...good, engines: { node: '>=22' } }))).toEqual([])
  })

  it.each([
    ['type', { type: 'commonjs' }, /"type" must be "module"/],
    ['sideEffects', { sideEffects: undefined }, /"sideEffects" must be false/],
    ['engines', { engines: undefined }, /"engines.node" is missing/],
    ['engines below Node 20.19', { engines: { node: '>=18' } }, /"engines.node" is ">=18"/],
    ['engines as a loose range', { engines: { node: '*' } }, /"engines.node" is "\*"/],
    ['license', { license: '' }, /"license" is missing/],
    [
      'repository.directory',
      { repository: { url: 'x', directory: 'packages/other' } },
      /repository.directory/,
    ],
    ['files', { files: ['README.md'] }, /"files" must list "dist"/],
    ['public access', { publishConfig: {} }, /publishConfig.access/],
    [
      'types first',
      { exports: { '.': { default: './dist/index.js', types: './dist/index.d.ts' } } },
      /"types" must be the first condition/,
    ],
    [
      'missing types',
      { exports: { '.': { default: './dist/index.js' } } },
      /has no "types" condition/,
    ],
    [
      'a target not built',
      { exports: { '.': { types: './dist/index.d.ts', default: './dist/missing.js' } } },
      /does not exist/,
    ],
    ['a bin not built', { bin: { example: './dist/nothing.js' } }, /bin "example"/],
    [
      'an internal dependency off the release version',
      { dependencies: { '@writ/core': '1.0.0', yaml: '^2' } },
      /fixed release version/,
    ],
  ])('refuse a package with a wrong %s', (_label, change, problem) => {
    const problems = check(fixture({ ...good, ...change }))
    expect(
      problems.some((text) => problem.test(text)),
      problems.join('\n'),
    ).toBe(true)
  })

  it('refuse a package without the LICENSE, or with another text', () => {
    const missing = fixture(good)
    rmSync(join(missing.directory, 'LICENSE'))
    expect(check(missing).some((text) => text.startsWith('LICENSE is missing'))).toBe(true)
    const other = fixture(good)
    writeFileSync(join(other.directory, 'LICENSE'), 'MIT\n')
    expect(check(other).some((text) => text.startsWith('LICENSE differs'))).toBe(true)
  })

  it('refuse source maps without their sources, and declaration maps', () => {
    const entry = fixture(good)
    const map = { version: 3, file: 'index.js', sources: ['../src/index.ts'], mappings: 'AAAA' }
    writeFileSync(join(entry.directory, 'dist', 'index.js.map'), JSON.stringify(map))
    writeFileSync(join(entry.directory, 'dist', 'index.d.ts.map'), JSON.stringify(map))
    const problems = check(entry)
    expect(problems.filter((text) => text.includes('sourcesContent'))).toHaveLength(1)
    expect(problems.filter((text) => text.includes('declaration map'))).toHaveLength(1)
    writeFileSync(
      join(entry.directory, 'dist', 'index.js.map'),
      JSON.stringify({ ...map, sourcesContent: ['export const a = 1\n'] }),
    )
    rmSync(join(entry.directory, 'dist', 'index.d.ts.map'))
    expect(check(entry)).toEqual([])
  })

  it('refuse a bare import the package does not declare', () => {
    const problems = check(
      fixture(
        good,
        "import { parse } from 'yaml'\nimport pg from 'pg'\nexport const a = () => import('zod/v4')\n",
      ),
    )
    expect(problems.filter((text) => text.includes('is not in dependencies'))).toHaveLength(2)
  })

  it('accept node builtins, relative imports and self references', () => {
    const source =
      "import { readFileSync } from 'node:fs'\nimport path from 'path'\nimport { b } from './b.js'\nexport * from '@writ/example/package.json'\n"
    expect(check(fixture(good, source))).toEqual([])
  })

  it('pass on every published package of the repository', () => {
    const packages = (publishedPackages as () => Parameters<typeof check>[0][])()
    expect(packages.length).toBeGreaterThan(0)
    for (const entry of packages) expect(check(entry), entry.name).toEqual([])
  })
})
