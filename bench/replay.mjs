// writ policy replay at scale: a SQLite store holding `--decisions` (default 100,000)
// recorded decisions with their arguments retained, replayed with a stricter candidate
// (smaller transfers, a daily spend limit simulated in order). Target: under 30 s on
// this machine. The store is written first through a real gate (group commit), and that
// time is reported apart: it is not part of the replay.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { compilePolicy, createGate, generateSigningKey, replayDecisions } from '@writ/core'
import { candidatePaymentsPolicyText, paymentsPolicyTextWith } from '@writ/core/testing'
import { createSqliteStore } from '@writ/store-sqlite'
import { memorySampler, option, smoke, target, writeResults } from './harness.mjs'

const count = Number(option('decisions', smoke ? 5_000 : 100_000))
const batch = 256
const dir = mkdtempSync(join(tmpdir(), 'writ-bench-replay-'))
const path = join(dir, 'writ.db')

const requests = [
  (index) => ({
    action: 'payments.transfer',
    args: { to: `payee-${index % 97}`, amount: (index % 12) * 100 },
  }),
  () => ({ action: 'payments.transfer', args: { to: 'mallory', amount: 5 } }),
  (index) => ({ action: 'accounts.lookup', args: { id: index } }),
  () => ({ action: 'reports.read', args: {} }),
]

async function record() {
  const store = createSqliteStore({ path, groupCommit: true, retention: [{ actions: '**' }] })
  let now = Date.UTC(2026, 0, 1)
  const gate = createGate({
    policy: compilePolicy(paymentsPolicyTextWith({ dailySpendLimit: 1_000_000_000 })),
    keys: generateSigningKey(),
    issuer: 'https://authority.bench',
    store,
    clock: () => now,
    timeoutMs: 60_000,
  })
  const started = performance.now()
  for (let first = 0; first < count; first += batch) {
    const pending = []
    for (let index = first; index < Math.min(count, first + batch); index++) {
      const request = requests[index % requests.length](index)
      pending.push(
        gate.authorize({ ...request, agent: `agent-${index % 20}`, request: `req-${index}` }),
      )
    }
    await Promise.all(pending)
    now += 60_000
  }
  const seconds = (performance.now() - started) / 1000
  await store.close()
  return seconds
}

async function replay() {
  const store = createSqliteStore({ path })
  const candidate = compilePolicy(candidatePaymentsPolicyText)
  const memory = memorySampler()
  const started = performance.now()
  const report = await replayDecisions(store, candidate)
  const seconds = (performance.now() - started) / 1000
  const sampled = memory.stop()
  await store.close()
  return { seconds, report, memory: sampled }
}

try {
  const recordSeconds = await record()
  console.log(
    `recorded ${count} decisions with retained arguments in ${recordSeconds.toFixed(1)} s`,
  )
  const { seconds, report, memory } = await replay()
  console.log(
    `replayed ${report.replayed} of ${report.considered} in ${seconds.toFixed(2)} s (${Math.round(report.replayed / seconds)} decisions/s); ${report.changed} changed`,
  )
  const file = writeResults('replay', {
    decisions: count,
    recordSeconds,
    replaySeconds: seconds,
    decisionsPerSecond: report.replayed / seconds,
    changed: report.changed,
    transitions: report.transitions.map(({ examples, ...rest }) => rest),
    peakRssMiB: Math.max(...memory.map((point) => point.rssMiB)),
    peakHeapUsedMiB: Math.max(...memory.map((point) => point.heapUsedMiB)),
    targets: {
      replay100k: target(seconds, '<', 30, { unit: 's', decisions: count }),
    },
  })
  console.log(`results: ${file}`)
} finally {
  rmSync(dir, { recursive: true, force: true })
}
