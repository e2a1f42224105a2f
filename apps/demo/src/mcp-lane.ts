/**
 * The demo's MCP lane: the bank's tools served by an MCP server
 * (`mcp/bank-mcp-server.js`) behind `writ mcp proxy`, driven by a scripted MCP host
 * (the SDK's `Client`). Each step is one thing a model might do; the lane checks what
 * Writ answered and what the bank actually ran.
 */
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { createKeySet, type JwkSet, verifyReceipt } from '@writ/verify'
import { PACKAGE_ROOT } from './paths.js'

/** The policy of the lane. */
export const MCP_POLICY_PATH = join(PACKAGE_ROOT, 'mcp-policy.yaml')
const BANK_SERVER = fileURLToPath(new URL('./mcp/bank-mcp-server.js', import.meta.url))

/** One step of the lane: a call, what Writ should answer, and what it did. */
export interface McpLaneStep {
  readonly title: string
  /** `PERMIT`, `DENY`, `SILENCE`, or the code of a refusal without a decision. */
  readonly expected: string
  readonly outcome: string
  readonly reason: string | null
  /** The verified receipt's id, when the answer carried one. */
  readonly receiptId: string | null
  readonly passed: boolean
}

/** What the lane showed. */
export interface McpLaneResult {
  /** The tools the model was shown. */
  readonly tools: readonly string[]
  readonly steps: readonly McpLaneStep[]
  /** What the bank server ran, in order. */
  readonly ledger: readonly { tool: string; args: unknown; receiptId?: string }[]
  readonly passed: boolean
}

const steps = [
  {
    title: 'pay 100 EUR to mallory-holdings (sanctioned)',
    tool: 'transfer',
    args: { to: 'mallory-holdings', amount: 100, currency: 'EUR', memo: 'consulting' },
    expected: 'DENY',
  },
  {
    title: 'pay 9000 EUR to acme-supplies (over the limit)',
    tool: 'transfer',
    args: { to: 'acme-supplies', amount: 9000, currency: 'EUR', memo: 'INV-2292' },
    expected: 'SILENCE',
  },
  {
    title: 'close the ops account (a tool the model is not shown)',
    tool: 'close_account',
    args: { account: 'ops' },
    expected: 'DENY',
  },
  {
    title: 'pay 250 EUR to acme-supplies',
    tool: 'transfer',
    args: { to: 'acme-supplies', amount: 250, currency: 'EUR', memo: 'INV-2291' },
    expected: 'PERMIT',
  },
  {
    title: 'pay 40 EUR to city-utilities after the server rewrote the tool',
    tool: 'transfer',
    args: { to: 'city-utilities', amount: 40, currency: 'EUR', memo: 'water' },
    expected: 'TOOL_DEFINITION_CHANGED',
  },
] as const

function writCommand(): string {
  const require = createRequire(import.meta.url)
  const manifest = require.resolve('@writ/cli/package.json')
  const built = join(dirname(manifest), 'dist', 'bin.js')
  return existsSync(built) ? built : join(dirname(manifest), 'bin', 'writ.js')
}

/** The scripted host, connected to the proxy in front of the bank's MCP server. */
async function connectHost(
  workDir: string,
  writ: string,
): Promise<{ client: Client; keys: JwkSet }> {
  const key = join(workDir, 'mcp-key.json')
  const keysPath = join(workDir, 'mcp-keys.json')
  execFileSync(process.execPath, [writ, 'keygen', '--out', key], { stdio: 'ignore' })
  const keys = JSON.parse(
    execFileSync(process.execPath, [writ, 'keys', 'export', '--key', key], { encoding: 'utf8' }),
  ) as JwkSet
  writeFileSync(keysPath, JSON.stringify(keys))
  const args = [
    writ,
    'mcp',
    'proxy',
    '--policy',
    MCP_POLICY_PATH,
    '--key',
    key,
    '--store',
    join(workDir, 'mcp-receipts.db'),
    '--pins',
    join(workDir, 'mcp-pins.json'),
    '--name',
    'bank',
    '--agent',
    'mcp-agent',
    '--',
    process.execPath,
    BANK_SERVER,
  ]
  const env: Record<string, string> = {
    BANK_KEYS: keysPath,
    BANK_LEDGER: join(workDir, 'mcp-ledger.jsonl'),
  }
  for (const [name, value] of Object.entries(process.env))
    if (value !== undefined) env[name] ??= value
  const client = new Client({ name: 'writ-demo-host', version: '1.0.0' })
  await client.connect(
    new StdioClientTransport({ command: process.execPath, args, env, stderr: 'ignore' }),
  )
  return { client, keys }
}

/** Runs one call and reads Writ's answer: the decision (or refusal code) and the receipt. */
async function runStep(
  client: Client,
  keys: JwkSet,
  step: (typeof steps)[number],
): Promise<McpLaneStep> {
  const result = await client.callTool({ name: step.tool, arguments: step.args })
  const token = result._meta?.['dev.writ/receipt']
  const claims =
    typeof token === 'string' ? (await verifyReceipt(token, createKeySet(keys))).claims : undefined
  const text = (result.content as { text?: string }[])[0]?.text ?? ''
  const refusal =
    result.isError === true ? (JSON.parse(text) as { decision: string; reason: string }) : undefined
  const outcome =
    refusal === undefined
      ? (claims?.decision ?? 'NONE')
      : refusal.decision === 'ERROR'
        ? refusal.reason
        : refusal.decision
  return {
    title: step.title,
    expected: step.expected,
    outcome,
    reason: refusal?.reason ?? claims?.reason ?? null,
    receiptId: claims?.jti ?? null,
    passed: outcome === step.expected,
  }
}

/** Runs the lane with its state (key, receipts, pins, the bank's ledger) in `workDir`. */
export async function runMcpLane(workDir: string): Promise<McpLaneResult> {
  const { client, keys } = await connectHost(workDir, writCommand())
  try {
    const tools = (await client.listTools()).tools.map((tool) => tool.name).sort()
    const done: McpLaneStep[] = []
    for (const step of steps) done.push(await runStep(client, keys, step))
    const ledgerPath = join(workDir, 'mcp-ledger.jsonl')
    const ledger = existsSync(ledgerPath)
      ? readFileSync(ledgerPath, 'utf8')
          .trim()
          .split('\n')
          .map((line) => JSON.parse(line) as McpLaneResult['ledger'][number])
      : []
    const passed =
      done.every((step) => step.passed) &&
      tools.join() === 'balance,transfer' &&
      ledger.length === 1
    return { tools, steps: done, ledger, passed }
  } finally {
    await client.close()
  }
}
