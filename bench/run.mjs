// npm run bench: every benchmark, each beside its baseline, results in bench/results/.
// Pass --smoke for the short version CI runs so the benchmark code cannot rot.
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const suites = ['decisions.mjs']
const extra = process.argv.slice(2)
let failed = 0
for (const suite of suites) {
  console.log(`\n== ${suite}`)
  const result = spawnSync(process.execPath, [fileURLToPath(new URL(suite, import.meta.url)), ...extra], { stdio: 'inherit' })
  if (result.status !== 0) failed++
}
process.exit(failed ? 1 : 0)
