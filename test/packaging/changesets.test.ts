// The release configuration does what docs/releasing.md says: one changeset bumps
// every published @writ package to one shared version (the fixed group), private
// examples and apps keep their version and get no changelog, yet their @writ
// dependencies follow so the workspace keeps linking. Runs `changeset version` on a
// copy of the repository's tracked files, never on the checkout itself.
import { execFile } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const execFileAsync = promisify(execFile)
const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url))

interface Manifest {
  name: string
  version: string
  private?: boolean
  dependencies?: Record<string, string>
}

let copy = ''
let before = new Map<string, Manifest>()

function workspaceManifests(root: string): Map<string, Manifest> {
  const manifests = new Map<string, Manifest>()
  for (const parent of ['packages', 'apps', 'examples']) {
    const folder = join(root, parent)
    if (!existsSync(folder)) continue
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name, 'package.json')
      if (existsSync(path))
        manifests.set(`${parent}/${name}`, JSON.parse(readFileSync(path, 'utf8')) as Manifest)
    }
  }
  return manifests
}

beforeAll(async () => {
  copy = mkdtempSync(join(tmpdir(), 'writ-changesets-'))
  const { stdout } = await execFileAsync('git', ['ls-files', '-z'], {
    cwd: repositoryRoot,
    maxBuffer: 64 * 1024 * 1024,
  })
  for (const file of stdout.split('\0')) {
    if (file === '' || !existsSync(join(repositoryRoot, file))) continue
    cpSync(join(repositoryRoot, file), join(copy, file), { recursive: true })
  }
  // Pending changesets of the checkout are not this test's business: start from none.
  for (const file of stdout.split('\0')) {
    if (/^\.changeset\/[^/]+\.md$/.test(file) && !file.endsWith('README.md'))
      rmSync(join(copy, file), { force: true })
  }
  symlinkSync(join(repositoryRoot, 'node_modules'), join(copy, 'node_modules'), 'dir')
  before = workspaceManifests(copy)
  writeFileSync(
    join(copy, '.changeset', 'test-release.md'),
    '---\n"@writ/verify": minor\n---\n\nA test release.\n',
  )
  const changeset = join(repositoryRoot, 'node_modules', '@changesets', 'cli', 'bin.js')
  await execFileAsync(process.execPath, [changeset, 'version'], {
    cwd: copy,
    env: { ...process.env, CI: 'true' },
    timeout: 60_000,
  })
}, 90_000)

afterAll(() => {
  if (copy !== '') rmSync(copy, { recursive: true, force: true })
})

describe('changeset version', () => {
  it('bumps every published package to one shared version', () => {
    const after = workspaceManifests(copy)
    const published = [...after.entries()].filter(
      ([path, manifest]) => path.startsWith('packages/') && manifest.private !== true,
    )
    expect(published.length).toBeGreaterThan(1)
    const versions = new Set(published.map(([, manifest]) => manifest.version))
    expect(versions.size).toBe(1)
    const [version] = [...versions]
    for (const [path, manifest] of published) {
      expect(manifest.version, path).not.toBe(before.get(path)?.version)
      expect(existsSync(join(copy, path, 'CHANGELOG.md')), path).toBe(true)
      for (const [dependency, range] of Object.entries(manifest.dependencies ?? {})) {
        if (dependency.startsWith('@writ/')) expect(range, `${path} → ${dependency}`).toBe(version)
      }
    }
  })

  it('leaves private packages unversioned, without a changelog, with their @writ dependencies updated', () => {
    const after = workspaceManifests(copy)
    const published = [...after.values()].find((manifest) => manifest.name === '@writ/verify')
    const privates = [...after.entries()].filter(([, manifest]) => manifest.private === true)
    expect(privates.length).toBeGreaterThan(0)
    for (const [path, manifest] of privates) {
      expect(manifest.version, path).toBe(before.get(path)?.version)
      expect(existsSync(join(copy, path, 'CHANGELOG.md')), path).toBe(false)
      for (const [dependency, range] of Object.entries(manifest.dependencies ?? {})) {
        if (dependency.startsWith('@writ/'))
          expect(range, `${path} → ${dependency}`).toBe(published?.version)
      }
    }
  })

  it('consumes the changeset', () => {
    expect(existsSync(join(copy, '.changeset', 'test-release.md'))).toBe(false)
  })
})
