#!/usr/bin/env node
/**
 * `npm run demo:terminal`: runs every scenario in the terminal, no browser.
 * `--json` prints the results as JSON. Exit 1 when an outcome is not the expected one.
 */
import { startDemo } from './demo.js'
import { formatResults, terminalResults } from './terminal-report.js'

const json = process.argv.includes('--json')
const demo = await startDemo({ web: false })
try {
  const results = await demo.runAll()
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ storePath: demo.storePath, keysPath: demo.keysPath, results: terminalResults(results) }, null, 2)}\n`,
    )
  } else {
    process.stdout.write(formatResults(results, process.stdout.isTTY === true))
    process.stdout.write(`\nreceipts: ${demo.storePath}\nkeys:     ${demo.keysPath}\n`)
  }
  process.exitCode = results.every((result) => result.passed) ? 0 : 1
} finally {
  await demo.close()
}
