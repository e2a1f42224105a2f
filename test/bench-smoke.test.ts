import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

// CI runs every benchmark briefly so the benchmark code cannot rot. The benchmarks import
// the built packages, so this needs `turbo run build` first (`npm test` does it). It
// asserts that the suites ran and wrote their results, never how fast anything was.
const root = fileURLToPath(new URL('..', import.meta.url))
const suites = ['decisions', 'scale', 'verify', 'server', 'chain', 'signers', 'console'] as const

function results(suite: string): Record<string, unknown> {
  return JSON.parse(readFileSync(`${root}bench/results/${suite}-smoke.json`, 'utf8')) as Record<
    string,
    unknown
  >
}

describe('npm run bench -- --smoke', () => {
  it('runs every suite and writes its result file', () => {
    const run = spawnSync(process.execPath, ['bench/run.mjs', '--smoke'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 240_000,
    })
    expect(run.stderr).not.toMatch(/FAILED/)
    expect(run.status).toBe(0)
    for (const suite of suites) {
      const document = results(suite)
      expect(document).toMatchObject({ suite, smoke: true })
      expect(typeof document['date']).toBe('string')
      expect(document['machine']).toMatchObject({ node: process.version })
      expect(Array.isArray(document['rows'])).toBe(true)
      expect((document['rows'] as unknown[]).length).toBeGreaterThan(0)
      expect(typeof document['targets']).toBe('object')
    }
  }, 300_000)

  it('reports every target as a measured number with a bound', () => {
    const decisions = results('decisions')['targets'] as Record<
      string,
      { measured: number; target?: string; met?: boolean }
    >
    for (const name of [
      'memoryDecisionVsSignature',
      'groupCommitVsMemoryAt64',
      'groupCommitP99OpenLoopMs',
      'memoryP99OpenLoopMs',
      'writVsCedarPlusSignature',
    ]) {
      expect(Number.isFinite(decisions[name]?.measured)).toBe(true)
      expect(typeof decisions[name]?.met).toBe('boolean')
    }
    const scale = results('scale')['targets'] as Record<string, { measured: number; met?: boolean }>
    expect(Number.isFinite(scale['tenThousandRulesVsTen']?.measured)).toBe(true)
    // The smoke run's argument sizes stop at 100 KB; the full run adds 1 MB.
    for (const name of [
      'canonicalObjectVsStringify1KB',
      'canonicalObjectVsStringify100KB',
      'canonicalTextVsParseStringify1KB',
      'canonicalTextVsParseStringify100KB',
    ]) {
      expect(Number.isFinite(scale[name]?.measured)).toBe(true)
      expect(typeof scale[name]?.met).toBe('boolean')
    }
    const chain = results('chain') as {
      memory: { marks: unknown[] }
      targets: Record<string, { measured: number }>
    }
    expect(chain.memory.marks.length).toBeGreaterThanOrEqual(10)
    expect(Number.isFinite(chain.targets['heapFlatOverChain']?.measured)).toBe(true)
    const verify = results('verify') as {
      rows: { name: string; opsPerSecond: { median: number } }[]
    }
    expect(verify.rows.map((row) => row.name)).toContain('verifyReceipt, noble backend')
  })
})
