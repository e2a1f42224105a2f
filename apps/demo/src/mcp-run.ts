#!/usr/bin/env node
/**
 * `npm run demo:mcp`: the MCP lane in the terminal. `--json` prints the result as JSON.
 * Exit 1 when an outcome is not the expected one.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runMcpLane } from './mcp-lane.js'

const workDir = mkdtempSync(join(tmpdir(), 'writ-demo-mcp-'))
const result = await runMcpLane(workDir)
if (process.argv.includes('--json')) {
  process.stdout.write(`${JSON.stringify({ workDir, ...result }, null, 2)}\n`)
} else {
  const lines = [
    "MCP lane: the bank's tools behind writ mcp proxy",
    `tools the model sees: ${result.tools.join(', ')}`,
    ...result.steps.map(
      (step) =>
        `${step.passed ? '✓' : '✗'} ${step.title}: ${step.outcome}${step.reason === null ? '' : ` (${step.reason})`}${step.receiptId === null ? '' : ` receipt ${step.receiptId}`}`,
    ),
    `the bank ran ${result.ledger.length} call(s): ${result.ledger.map((entry) => `${entry.tool} ${JSON.stringify(entry.args)}`).join('; ')}`,
    `state: ${workDir}`,
  ]
  process.stdout.write(`${lines.join('\n')}\n`)
}
process.exitCode = result.passed ? 0 : 1
