// One open-loop run in a process of its own, so that it inherits neither the heap nor the
// garbage of the benchmarks that ran before it (bench/decisions.mjs starts it).
//
//   node [v8 flags] bench/support/open-loop-child.mjs <kind> <rate> <durationMs>
//   kind: harness (an empty call), memory, sqlite-group (group commit, the log checkpointed
//         on a background thread, the default), sqlite-group-inline (checkpointed in commits)
//
// Builds the same gate as bench/decisions.mjs, warms it up, checks that it permits, runs
// the open loop (bench/harness.mjs) and prints its result as one JSON line.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createGate, generateSigningKey } from '@writ/core'
import { createSqliteStore } from '@writ/store-sqlite'
import { openLoop } from '../harness.mjs'
import { BENCH_REQUEST, benchPolicy } from './bench-policy.mjs'

const [kind, rate, durationMs] = process.argv.slice(2)

/**
 * The append transactions of the measured run (the store's histogram, minus the warm-up's):
 * how many, how much of the run's wall time they held the thread, and how much of it went
 * to those over 2 ms (a caller who arrives during one waits for its end, then for its own).
 */
function transactionsDuring(before, after, wallMs) {
  const counts = after.counts.map((count, index) => count - before.counts[index])
  const totalMs = after.totalMs.map((total, index) => total - before.totalMs[index])
  const sum = (values) => values.reduce((total, value) => total + value, 0)
  const over2 = (values) => sum(values.filter((_, index) => (after.le[index] ?? Infinity) > 2))
  return {
    count: sum(counts),
    shareOfWallTime: sum(totalMs) / wallMs,
    over2ms: over2(counts),
    over2msShareOfWallTime: over2(totalMs) / wallMs,
    histogram: { le: after.le, counts, totalMs },
  }
}
const policy = benchPolicy()
const request = BENCH_REQUEST
const dir = mkdtempSync(join(tmpdir(), 'writ-open-loop-'))
const store = kind.startsWith('sqlite-group')
  ? createSqliteStore({
      path: join(dir, 'group.db'),
      groupCommit: true,
      walCheckpoint: kind === 'sqlite-group-inline' ? 'inline' : 'background',
    })
  : undefined
if (!['harness', 'memory', 'sqlite-group', 'sqlite-group-inline'].includes(kind))
  throw new Error(`unknown kind ${kind}`)
const gate = createGate({
  policy,
  keys: generateSigningKey(),
  issuer: 'bench',
  ...(store ? { store } : {}),
})
const decision = await gate.authorize(request)
if (decision.decision !== 'PERMIT') throw new Error(`expected PERMIT, got ${decision.decision}`)
const run = kind === 'harness' ? async () => {} : () => gate.authorize(request)
// Warm-up: the code optimized and the store's memory in use, as in a gate that has run a while.
await openLoop(run, {
  callers: 64,
  rate: Number(rate),
  durationMs: Math.min(1000, Number(durationMs)),
})
const before = store?.stats().transactionMs
const result = await openLoop(run, {
  callers: 64,
  rate: Number(rate),
  durationMs: Number(durationMs),
})
if (store !== undefined) {
  const { transactionMs: after, walCheckpoints } = store.stats()
  result.walCheckpoints = walCheckpoints
  result.transactions = transactionsDuring(before, after, Number(durationMs))
}
await store?.close()
rmSync(dir, { recursive: true, force: true })
process.stdout.write(`${JSON.stringify(result)}\n`)
