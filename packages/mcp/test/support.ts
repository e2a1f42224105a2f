/**
 * Test support for the MCP gateway: a workspace with a policy, a key and a store, the
 * bank fixture server (a real `McpServer`, over stdio or Streamable HTTP) whose calls
 * are logged to a file, and `writ mcp proxy` started from the built CLI, reached by the
 * SDK's `Client` or by raw JSON-RPC lines.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { createKeySet, type JwkSet, type ReceiptClaims, verifyReceipt } from '@writ/verify'
import { expect } from 'vitest'

export const cli = fileURLToPath(new URL('../../cli/dist/bin.js', import.meta.url))
export const bankServer = fileURLToPath(new URL('./fixtures/bank-server.mjs', import.meta.url))

/** The bank policy: small transfers permitted, mallory denied, balance readable, closing never. */
export const bankPolicy = `
writ: 1
id: bank-mcp
rules:
  - id: small-transfers
    effect: permit
    actions: [mcp.bank.transfer]
    when: args.amount <= 1000
  - id: no-mallory
    effect: deny
    actions: [mcp.bank.*]
    when: has(args.to) && args.to == 'mallory'
    reason: SANCTIONED_PAYEE
  - id: read-balance
    effect: permit
    actions: [mcp.bank.balance]
  - id: never-close
    effect: deny
    actions: [mcp.bank.close_account]
`

/** One line the bank server logged: a call that reached it. */
export interface UpstreamCall {
  readonly tool: string
  readonly args: Record<string, unknown>
  readonly meta: Record<string, unknown> | null
}

/** A temporary directory with `policy.yaml`, `key.json` and room for a store and logs. */
export interface Workspace {
  readonly dir: string
  readonly policy: string
  readonly key: string
  readonly store: string
  readonly callsLog: string
  /** The calls the upstream server received, in order. */
  calls(): UpstreamCall[]
  /** The public keys of `key.json`. */
  keys(): JwkSet
  /** `writ mcp proxy` arguments for this workspace, before the upstream. */
  proxyArgs(...extra: string[]): string[]
  remove(): void
}

export function workspace(policy = bankPolicy): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'writ-mcp-'))
  const paths = {
    policy: join(dir, 'policy.yaml'),
    key: join(dir, 'key.json'),
    store: join(dir, 'receipts.db'),
    callsLog: join(dir, 'calls.log'),
  }
  writeFileSync(paths.policy, policy)
  execFileSync(process.execPath, [cli, 'keygen', '--out', paths.key], { stdio: 'ignore' })
  const keys = JSON.parse(
    execFileSync(process.execPath, [cli, 'keys', 'export', '--key', paths.key], {
      encoding: 'utf8',
    }),
  ) as JwkSet
  return {
    dir,
    ...paths,
    calls: () =>
      existsSync(paths.callsLog)
        ? readFileSync(paths.callsLog, 'utf8')
            .trim()
            .split('\n')
            .map((line) => JSON.parse(line) as UpstreamCall)
        : [],
    keys: () => keys,
    proxyArgs: (...extra) => [
      cli,
      'mcp',
      'proxy',
      '--policy',
      paths.policy,
      '--key',
      paths.key,
      '--store',
      paths.store,
      '--name',
      'bank',
      ...extra,
    ],
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}

/** The environment of the processes a test starts: the bank server logs to the workspace. */
export function environment(
  space: Workspace,
  extra: Record<string, string> = {},
): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [name, value] of Object.entries(process.env))
    if (value !== undefined) env[name] = value
  return { ...env, CALLS_LOG: space.callsLog, ...extra }
}

/** An SDK `Client` (the host) talking stdio to `writ mcp proxy … -- node bank-server.mjs`. */
export async function hostOverStdio(
  space: Workspace,
  options: {
    readonly flags?: string[]
    readonly env?: Record<string, string>
    readonly upstream?: string[]
  } = {},
): Promise<Client> {
  const client = new Client({ name: 'test-host', version: '1.0.0' })
  const upstream = options.upstream ?? ['--', process.execPath, bankServer]
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: [...space.proxyArgs(...(options.flags ?? [])), ...upstream],
      env: environment(space, options.env),
      stderr: 'ignore',
    }),
  )
  return client
}

/** Starts a child and resolves with it and the first line matching `pattern` on `stream`. */
export async function startAndRead(
  args: string[],
  env: Record<string, string>,
  stream: 'stdout' | 'stderr',
  pattern: RegExp,
): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(process.execPath, args, { env, stdio: ['pipe', 'pipe', 'pipe'] })
  const lines = createInterface({ input: child[stream] as NodeJS.ReadableStream })
  for await (const line of lines) {
    const match = pattern.exec(line)
    if (match !== null) return { child, match }
  }
  throw new Error(`the process ended before printing ${pattern}`)
}

/** Stops a child started by a test and waits for it to exit. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  child.kill('SIGTERM')
  await once(child, 'exit')
}

/** The text of a tool result's first content block. */
export function textOf(result: CallToolResult): string {
  const block = result.content[0]
  return block?.type === 'text' ? block.text : ''
}

/** The refusal JSON a refused call answers with. */
export function refusalOf(result: CallToolResult): Record<string, unknown> {
  expect(result.isError).toBe(true)
  return JSON.parse(textOf(result)) as Record<string, unknown>
}

/** Verifies the receipt a result carries in `_meta` and returns its claims. */
export async function receiptClaimsOf(
  result: CallToolResult,
  keys: JwkSet,
): Promise<ReceiptClaims> {
  const token = result._meta?.['dev.writ/receipt']
  expect(typeof token).toBe('string')
  return (await verifyReceipt(token as string, createKeySet(keys))).claims
}
