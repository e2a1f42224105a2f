/**
 * The demo's MCP lane end to end: `node dist/mcp-run.js --json` (the scripted MCP host,
 * `writ mcp proxy` from the built CLI, and the bank's MCP server) and the bank server's
 * own receipt check when something reaches it without the proxy.
 */
import { execFile, execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BUILT, DEMO_ROOT, ensureBuilt } from './support.js'

const run = promisify(execFile)
const lane = join(DEMO_ROOT, 'dist', 'mcp-run.js')
const bankServer = join(DEMO_ROOT, 'dist', 'mcp', 'bank-mcp-server.js')

interface LaneReport {
  readonly workDir: string
  readonly tools: string[]
  readonly steps: {
    title: string
    expected: string
    outcome: string
    reason: string | null
    passed: boolean
  }[]
  readonly ledger: { tool: string; args: Record<string, unknown>; receiptId?: string }[]
  readonly passed: boolean
}

beforeAll(() => {
  ensureBuilt()
  if (!existsSync(lane))
    execFileSync('npx', ['tsc', '-p', join(DEMO_ROOT, 'tsconfig.build.json')], { stdio: 'inherit' })
}, 300_000)

describe('the MCP lane: the bank behind writ mcp proxy', () => {
  let report: LaneReport
  beforeAll(async () => {
    const { stdout } = await run(process.execPath, [lane, '--json'], { timeout: 120_000 })
    report = JSON.parse(stdout) as LaneReport
  }, 150_000)
  afterAll(() => {
    if (report !== undefined) rmSync(report.workDir, { recursive: true, force: true })
  })

  it('shows the model only the tools some rule could permit', () => {
    expect(report.tools).toEqual(['balance', 'transfer'])
  })

  it('answers each step as the policy and the pins say', () => {
    expect(report.steps.map((step) => [step.outcome, step.reason])).toEqual([
      ['DENY', 'SANCTIONED_PAYEE'],
      ['SILENCE', 'CONDITION_FALSE'],
      ['DENY', 'ACCOUNT_CLOSURE_FORBIDDEN'],
      ['PERMIT', 'APPROVED_PAYMENT'],
      ['TOOL_DEFINITION_CHANGED', 'TOOL_DEFINITION_CHANGED'],
    ])
    expect(report.passed).toBe(true)
  })

  it('let the bank run only the permitted transfer, on its receipt', () => {
    expect(report.ledger).toHaveLength(1)
    expect(report.ledger[0]).toMatchObject({
      tool: 'transfer',
      args: { to: 'acme-supplies', amount: 250, currency: 'EUR', memo: 'INV-2291' },
    })
    expect(typeof report.ledger[0]!.receiptId).toBe('string')
  })

  it('kept the pin of the definition the operator saw first', () => {
    const pins = JSON.parse(readFileSync(join(report.workDir, 'mcp-pins.json'), 'utf8')) as {
      tools: Record<string, { description: string }>
    }
    expect(pins.tools['mcp.bank.transfer']?.description).toBe(
      'Transfer money from the operating account to a payee.',
    )
  })
})

describe("the bank's MCP server, reached without the proxy", () => {
  it('refuses a transfer that carries no valid permit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'writ-demo-mcp-direct-'))
    try {
      const key = join(dir, 'key.json')
      execFileSync(process.execPath, [BUILT.cli, 'keygen', '--out', key], { stdio: 'ignore' })
      const keys = execFileSync(process.execPath, [BUILT.cli, 'keys', 'export', '--key', key], {
        encoding: 'utf8',
      })
      writeFileSync(join(dir, 'keys.json'), keys)
      const env: Record<string, string> = {
        BANK_KEYS: join(dir, 'keys.json'),
        BANK_LEDGER: join(dir, 'ledger.jsonl'),
      }
      for (const [name, value] of Object.entries(process.env))
        if (value !== undefined) env[name] ??= value
      const client = new Client({ name: 'rogue-host', version: '1.0.0' })
      await client.connect(
        new StdioClientTransport({
          command: process.execPath,
          args: [bankServer],
          env,
          stderr: 'ignore',
        }),
      )
      try {
        const args = { to: 'mallory-holdings', amount: 100, currency: 'EUR', memo: 'x' }
        const bare = await client.callTool({ name: 'transfer', arguments: args })
        const forged = await client.callTool({
          name: 'transfer',
          arguments: args,
          _meta: { 'dev.writ/receipt': 'e30.e30.e30' },
        })
        expect([bare.isError, forged.isError]).toEqual([true, true])
        expect(existsSync(join(dir, 'ledger.jsonl'))).toBe(false)
      } finally {
        await client.close()
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
