/**
 * `npm run --silent demo:terminal -- --json` is for scripts: its standard output is one
 * JSON document and nothing else (the build's own output goes to standard error).
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { beforeAll, describe, expect, it } from 'vitest'
import { ensureBuilt, REPO_ROOT } from './support.js'

const run = promisify(execFile)

beforeAll(() => ensureBuilt(), 300_000)

describe('npm run --silent demo:terminal -- --json', () => {
  it('prints only JSON on standard output', async () => {
    const { stdout } = await run('npm', ['run', '--silent', 'demo:terminal', '--', '--json'], {
      cwd: REPO_ROOT,
      maxBuffer: 16 * 1024 * 1024,
      timeout: 240_000,
    })
    const report = JSON.parse(stdout) as { results: { passed: boolean }[] }
    expect(report.results.length).toBeGreaterThan(0)
    expect(report.results.every((result) => result.passed)).toBe(true)
  }, 300_000)
})
