// A small, dependency-free benchmark harness.
//
// Trust comes from three habits:
// - Interleaved rounds (A B C A B C …): a noisy machine slows every case alike, so the
//   ratio between a case and its baseline, taken round by round, stays meaningful.
// - Time-boxed rounds: each case runs for the same wall time per round, whatever its
//   speed, so a full run has a known length.
// - Spreads next to medians: min/max of the per-round throughput and of the per-round
//   ratios, so a reader sees how much a number moved during the run.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import {
  monitorEventLoopDelay,
  PerformanceObserver,
  constants as perfConstants,
  performance,
} from 'node:perf_hooks'

/** `--smoke` on the command line: every suite runs briefly, so CI catches a rotten benchmark. */
export const smoke = process.argv.includes('--smoke')

/** The value of `--name value` or `--name=value` on the command line. */
export function option(name, fallback) {
  const argv = process.argv
  for (let index = 0; index < argv.length; index++) {
    if (argv[index] === `--${name}`) return argv[index + 1] ?? fallback
    if (argv[index]?.startsWith(`--${name}=`)) return argv[index].slice(name.length + 3)
  }
  return fallback
}

/** The `q` quantile of a sorted array (nearest rank). */
export const quantile = (sorted, q) =>
  sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]

/** Median of any numeric array. */
export const median = (values) =>
  quantile(
    [...values].sort((a, b) => a - b),
    0.5,
  )

/** Summary of numbers: median, min, max and relative spread ((max − min) / median). */
export function summary(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = quantile(sorted, 0.5)
  return {
    median: mid,
    min: sorted[0],
    max: sorted[sorted.length - 1],
    spread: sorted.length ? (sorted[sorted.length - 1] - sorted[0]) / mid : Number.NaN,
  }
}

/**
 * Runs cases in interleaved, time-boxed rounds.
 *
 * A case is `{ name, run(context), setup?(), teardown?(context), concurrency? }`. With a
 * concurrency of N, N callers loop on `run` at once (closed loop): each latency then
 * includes the wait behind the other N − 1 (Little's law: mean latency = N / throughput).
 *
 * @param {Array<{ name: string, run: (context: any) => unknown, setup?: () => unknown, teardown?: (context: any) => unknown, concurrency?: number }>} cases
 * @param {{ rounds?: number, roundMs?: number, warmupMs?: number }} options
 */
export async function runCases(cases, options = {}) {
  const rounds = options.rounds ?? (smoke ? 2 : 7)
  const roundMs = options.roundMs ?? (smoke ? 60 : 600)
  const warmupMs = options.warmupMs ?? (smoke ? 30 : 400)
  const contexts = new Map()
  for (const c of cases) contexts.set(c, c.setup ? await c.setup() : undefined)
  for (const c of cases) await timed(c, contexts.get(c), warmupMs, undefined)
  const samples = new Map(cases.map((c) => [c, { throughput: [], latencies: [] }]))
  for (let round = 0; round < rounds; round++) {
    // Rotate the starting case every round so no case always runs right after the same one.
    for (let offset = 0; offset < cases.length; offset++) {
      const c = cases[(round + offset) % cases.length]
      const record = samples.get(c)
      record.throughput.push(await timed(c, contexts.get(c), roundMs, record.latencies))
    }
  }
  for (const c of cases) if (c.teardown) await c.teardown(contexts.get(c))
  return cases.map((c) => {
    const { throughput, latencies } = samples.get(c)
    const sorted = latencies.sort((a, b) => a - b)
    return {
      name: c.name,
      concurrency: c.concurrency ?? 1,
      opsPerSecond: summary(throughput),
      perRound: throughput,
      latencyMs: {
        p50: quantile(sorted, 0.5),
        p90: quantile(sorted, 0.9),
        p99: quantile(sorted, 0.99),
        max: sorted[sorted.length - 1],
      },
      samples: sorted.length,
    }
  })
}

/** Runs one case for `ms` of wall time; returns operations per second. */
async function timed(c, context, ms, latencies) {
  const concurrency = c.concurrency ?? 1
  const started = performance.now()
  const deadline = started + ms
  let operations = 0
  const worker = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now()
      await c.run(context)
      latencies?.push(performance.now() - t0)
      operations++
    }
  }
  if (concurrency === 1) await worker()
  else await Promise.all(Array.from({ length: concurrency }, worker))
  return (operations * 1000) / (performance.now() - started)
}

/**
 * Open loop: `callers` callers issue `rate` operations per second in total, each on its
 * own fixed schedule, for `durationMs`. Latency is measured from the scheduled start, so
 * a stall is charged to every operation that waited behind it (no coordinated omission).
 *
 * Beside the latencies, `stalls` tells what held the event loop meanwhile: the loop's own
 * delay (`monitorEventLoopDelay`), every garbage collection pause (`gc` performance
 * entries, by kind), and the latencies of the operations that overlapped no collection at
 * all, so the share of the tail that is GC can be read off directly.
 */
export async function openLoop(run, { callers, rate, durationMs }) {
  const starts = []
  const ends = []
  const interval = (callers * 1000) / rate
  const watch = watchStalls()
  const started = performance.now()
  const end = started + durationMs
  const late = { count: 0 }
  await dispatch(run, { callers, interval, started, end, starts, ends, late })
  const elapsed = performance.now() - started
  const pauses = await watch.stop()
  const latencies = starts.map((start, index) => ends[index] - start)
  const sorted = [...latencies].sort((a, b) => a - b)
  return {
    callers,
    offeredPerSecond: rate,
    achievedPerSecond: (sorted.length * 1000) / elapsed,
    latencyMs: latencySummary(sorted),
    samples: sorted.length,
    lateStarts: late.count,
    stalls: stallsOf(pauses, watch.loopDelay, starts, ends, latencies, elapsed),
  }
}

// A timer fires up to a millisecond or two after it is due (libuv keeps time in whole
// milliseconds), which would put the harness's own lateness into every call's latency.
// So one dispatcher starts every caller's calls: it sleeps on a timer only while the next
// call is more than 2 ms away, and otherwise checks the clock on every turn of the event
// loop (setImmediate), so a call starts within a few microseconds of its schedule unless
// the loop itself is busy. Each caller is sequential: its next call is due one interval
// after the previous one was due, and waits for the previous one to finish. Every call is
// charged from its schedule (no coordinated omission).
function dispatch(run, { callers, interval, started, end, starts, ends, late }) {
  const due = Array.from({ length: callers }, (_, index) => started + (index * interval) / callers)
  const busy = new Array(callers).fill(false)
  return new Promise((resolve, reject) => {
    const launch = (index, now) => {
      busy[index] = true
      const start = due[index]
      if (now - start > interval) late.count++
      Promise.resolve()
        .then(run)
        .then(() => {
          starts.push(start)
          ends.push(performance.now())
          due[index] += interval
          busy[index] = false
        }, reject)
    }
    const tick = () => {
      const now = performance.now()
      let next = Number.POSITIVE_INFINITY
      let running = false
      for (let index = 0; index < callers; index++) {
        if (busy[index]) running = true
        else if (due[index] < end) {
          if (due[index] <= now) {
            launch(index, now)
            running = true
          } else next = Math.min(next, due[index])
        }
      }
      if (!running && next === Number.POSITIVE_INFINITY) return resolve()
      const wait = next - performance.now()
      if (wait > 2 && wait !== Number.POSITIVE_INFINITY) setTimeout(tick, wait - 1.5)
      else setImmediate(tick)
    }
    tick()
  })
}

const latencySummary = (sorted) => ({
  p50: quantile(sorted, 0.5),
  p90: quantile(sorted, 0.9),
  p99: quantile(sorted, 0.99),
  max: sorted[sorted.length - 1],
})

// `detail.kind` of a gc performance entry, named after perf_hooks' NODE_PERFORMANCE_GC_* constants.
const GC_KINDS = {
  [perfConstants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [perfConstants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [perfConstants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [perfConstants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
}

/** Starts watching the event loop's delay and GC pauses; `stop()` returns the pauses. */
function watchStalls() {
  const pauses = []
  const take = (list) => {
    for (const entry of list.getEntries?.() ?? list) {
      pauses.push({
        start: entry.startTime,
        duration: entry.duration,
        kind: GC_KINDS[entry.detail?.kind ?? entry.kind] ?? 'other',
      })
    }
  }
  const observer = new PerformanceObserver(take)
  observer.observe({ entryTypes: ['gc'] })
  const loopDelay = monitorEventLoopDelay({ resolution: 1 })
  loopDelay.enable()
  return {
    loopDelay,
    async stop() {
      loopDelay.disable()
      // GC entries are delivered after the fact: give them a turn, then take what is left.
      await new Promise((resolve) => setTimeout(resolve, 20))
      take(observer.takeRecords?.() ?? [])
      observer.disconnect()
      return pauses
    },
  }
}

/** The stall breakdown of one open-loop run (all times in ms). */
function stallsOf(pauses, loopDelay, starts, ends, latencies, elapsed) {
  pauses.sort((a, b) => a.start - b.start)
  const byKind = {}
  let total = 0
  for (const pause of pauses) {
    byKind[pause.kind] ??= { count: 0, totalMs: 0, maxMs: 0 }
    const kind = byKind[pause.kind]
    kind.count++
    kind.totalMs += pause.duration
    kind.maxMs = Math.max(kind.maxMs, pause.duration)
    total += pause.duration
  }
  // Operations whose wait overlapped no GC pause: their tail is what is left without GC.
  const clean = []
  let behindGc = 0
  let slowBehindGc = 0
  let slow = 0
  for (let index = 0; index < latencies.length; index++) {
    const overlapped = overlaps(pauses, starts[index], ends[index])
    const isSlow = latencies[index] > 1
    if (isSlow) slow++
    if (overlapped) {
      behindGc++
      if (isSlow) slowBehindGc++
    } else clean.push(latencies[index])
  }
  clean.sort((a, b) => a - b)
  const ms = (ns) => ns / 1e6
  return {
    eventLoopDelayMs: {
      p50: ms(loopDelay.percentile(50)),
      p99: ms(loopDelay.percentile(99)),
      max: ms(loopDelay.max),
    },
    gc: { pauses: pauses.length, totalMs: total, shareOfWallTime: total / elapsed, byKind },
    operationsBehindGc: behindGc / Math.max(1, latencies.length),
    slowerThan1msBehindGc: slow === 0 ? 0 : slowBehindGc / slow,
    latencyWithoutGcMs: latencySummary(clean),
  }
}

/** True when a pause in `pauses` (sorted by start) overlaps [from, to]. */
function overlaps(pauses, from, to) {
  let low = 0
  let high = pauses.length
  while (low < high) {
    const mid = (low + high) >> 1
    if (pauses[mid].start + pauses[mid].duration < from) low = mid + 1
    else high = mid
  }
  return low < pauses.length && pauses[low].start <= to
}

/**
 * Per-round ratio `numerator / denominator` of two rows' throughputs (round i of one
 * against round i of the other, which ran back to back), summarised.
 */
export function roundRatio(rows, numeratorName, denominatorName) {
  const numerator = rows.find((row) => row.name === numeratorName)
  const denominator = rows.find((row) => row.name === denominatorName)
  if (!numerator || !denominator) throw new Error(`no row ${numeratorName} or ${denominatorName}`)
  const ratios = numerator.perRound.map((value, index) => value / denominator.perRound[index])
  return summary(ratios)
}

/** Samples RSS and heapUsed every `everyMs` until stopped. */
export function memorySampler(everyMs = 50) {
  const points = []
  const started = performance.now()
  const take = (label) => {
    const usage = process.memoryUsage()
    points.push({
      ms: Math.round(performance.now() - started),
      rssMiB: usage.rss / 2 ** 20,
      heapUsedMiB: usage.heapUsed / 2 ** 20,
      ...(label === undefined ? {} : label),
    })
  }
  const timer = setInterval(() => take(), everyMs)
  return {
    mark: (label) => take(label),
    stop() {
      clearInterval(timer)
      take()
      return points
    },
  }
}

const root = new URL('../', import.meta.url)

function versionOf(path) {
  try {
    return JSON.parse(readFileSync(new URL(path, root), 'utf8')).version
  } catch {
    return undefined
  }
}

/** The machine and the versions that produced a result. */
export function machine() {
  const cpus = os.cpus()
  const versions = Object.create(null)
  for (const name of ['core', 'verify', 'store-sqlite', 'store-postgres', 'server']) {
    versions[`@writ/${name}`] = versionOf(`packages/${name}/package.json`)
  }
  for (const name of [
    'better-sqlite3',
    '@noble/ed25519',
    '@marcbachmann/cel-js',
    'hono',
    '@hono/node-server',
    'pg',
    'autocannon',
    '@cedar-policy/cedar-wasm',
    'playwright-core',
    'esbuild',
  ]) {
    versions[name] = versionOf(`node_modules/${name}/package.json`)
  }
  return {
    node: process.version,
    v8: process.versions.v8,
    openssl: process.versions.openssl,
    sqlite: undefined,
    platform: `${os.platform()} ${os.release()}`,
    arch: os.arch(),
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    loadAverage: os.loadavg().map((value) => Math.round(value * 100) / 100),
    versions,
  }
}

/**
 * The part of a result file's name that says which Node ran it: nothing on Node 20 (the
 * published numbers), `-node24` on Node 24 and so on, so that both lines sit side by side.
 */
export const nodeSuffix = (() => {
  const major = Number(process.versions.node.split('.')[0])
  return major === 20 ? '' : `-node${major}`
})()

/**
 * Writes `bench/results/<suite>.json` (`<suite>-smoke.json` under `--smoke`, on any
 * Node; a full run on a Node other than 20 adds {@link nodeSuffix}) with the date, the machine and `data`.
 * Every result file has `suite`, `smoke`, `date`, `machine`, `rows` and `targets`.
 */
export function writeResults(suite, data) {
  const dir = new URL('./results/', import.meta.url)
  mkdirSync(dir, { recursive: true })
  const file = new URL(`${suite}${smoke ? '-smoke' : nodeSuffix}.json`, dir)
  const document = {
    suite,
    smoke,
    date: new Date().toISOString(),
    machine: machine(),
    rows: [],
    targets: {},
    ...data,
  }
  writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`)
  return file.pathname
}

/** A text table of rows, with the cost of each relative to `baselineName`. */
export function table(rows, baselineName) {
  const base = rows.find((row) => row.name === baselineName)
  const lines = [
    `${'case'.padEnd(52)} ${'ops/s median'.padStart(12)} ${'spread'.padStart(7)} ${'p50 ms'.padStart(9)} ${'p99 ms'.padStart(9)} ${'cost vs base'.padStart(13)}`,
  ]
  for (const row of rows) {
    const ratio = base ? `${(base.opsPerSecond.median / row.opsPerSecond.median).toFixed(2)}×` : ''
    lines.push(
      `${row.name.padEnd(52)} ${row.opsPerSecond.median.toFixed(0).padStart(12)} ${`${(row.opsPerSecond.spread * 100).toFixed(0)}%`.padStart(7)} ${row.latencyMs.p50.toFixed(4).padStart(9)} ${row.latencyMs.p99.toFixed(4).padStart(9)} ${ratio.padStart(13)}`,
    )
  }
  return lines.join('\n')
}

/** A target: the measured value, the bound, and whether it is met. */
export function target(measured, comparison, bound, extra = {}) {
  const met =
    comparison === '<='
      ? measured <= bound
      : comparison === '<'
        ? measured < bound
        : comparison === '>='
          ? measured >= bound
          : measured > bound
  return { measured, target: `${comparison} ${bound}`, met, ...extra }
}
