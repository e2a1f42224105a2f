// A small, dependency-free benchmark harness. Each case runs in interleaved rounds
// (A B C A B C …) so that a noisy machine slows every case alike and the ratios
// between a case and its baseline stay meaningful.
import { performance } from 'node:perf_hooks'
import os from 'node:os'
import { writeFileSync, mkdirSync } from 'node:fs'

const quantile = (sorted, q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]

/**
 * @param {Array<{ name: string, setup?: () => Promise<any>, run: (ctx: any) => Promise<void> | void, teardown?: (ctx:any)=>Promise<void>, concurrency?: number }>} cases
 * @param {{ rounds?: number, opsPerRound?: number, warmup?: number }} options
 */
export async function runCases(cases, { rounds = 7, opsPerRound = 2000, warmup = 500 } = {}) {
  const contexts = new Map()
  for (const c of cases) contexts.set(c, c.setup ? await c.setup() : undefined)
  for (const c of cases) for (let i = 0; i < warmup; i++) await c.run(contexts.get(c))
  const samples = new Map(cases.map((c) => [c, { throughput: [], latencies: [] }]))
  for (let round = 0; round < rounds; round++) {
    for (const c of cases) {
      const ctx = contexts.get(c)
      const record = samples.get(c)
      const concurrency = c.concurrency ?? 1
      const perWorker = Math.ceil(opsPerRound / concurrency)
      const started = performance.now()
      await Promise.all(
        Array.from({ length: concurrency }, async () => {
          for (let i = 0; i < perWorker; i++) {
            const t0 = performance.now()
            await c.run(ctx)
            record.latencies.push(performance.now() - t0)
          }
        }),
      )
      const elapsed = performance.now() - started
      record.throughput.push((perWorker * concurrency * 1000) / elapsed)
    }
  }
  for (const c of cases) if (c.teardown) await c.teardown(contexts.get(c))
  return cases.map((c) => {
    const { throughput, latencies } = samples.get(c)
    const t = [...throughput].sort((a, b) => a - b)
    const l = [...latencies].sort((a, b) => a - b)
    return {
      name: c.name,
      concurrency: c.concurrency ?? 1,
      opsPerSecond: { median: quantile(t, 0.5), min: t[0], max: t[t.length - 1] },
      latencyMs: { p50: quantile(l, 0.5), p99: quantile(l, 0.99), max: l[l.length - 1] },
      samples: l.length,
    }
  })
}

export function machine() {
  const cpus = os.cpus()
  return { node: process.version, platform: `${os.platform()} ${os.release()}`, arch: os.arch(), cpu: cpus[0]?.model ?? 'unknown', cores: cpus.length, memoryGiB: Math.round(os.totalmem() / 2 ** 30) }
}

export function writeResults(name, data) {
  const dir = new URL('./results/', import.meta.url)
  mkdirSync(dir, { recursive: true })
  const file = new URL(`${name}.json`, dir)
  writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), machine: machine(), ...data }, null, 2)}\n`)
  return file.pathname
}

export function table(rows, baselineName) {
  const base = rows.find((r) => r.name === baselineName)
  const lines = [`${'case'.padEnd(46)} ${'ops/s (median)'.padStart(15)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)} ${'cost vs baseline'.padStart(17)}`]
  for (const r of rows) {
    const ratio = base ? (base.opsPerSecond.median / r.opsPerSecond.median).toFixed(2) + '×' : ''
    lines.push(`${r.name.padEnd(46)} ${r.opsPerSecond.median.toFixed(0).padStart(15)} ${r.latencyMs.p50.toFixed(4).padStart(9)} ${r.latencyMs.p99.toFixed(4).padStart(9)} ${ratio.padStart(17)}`)
  }
  return lines.join('\n')
}
