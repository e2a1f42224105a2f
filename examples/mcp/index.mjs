// An MCP host talking to a bank's MCP server through `writ mcp proxy`. The host here is
// the SDK's own Client, scripted: a desktop assistant or an IDE would start the proxy the
// same way, from the `mcpServers` block printed below. Run `npm run build` at the repo
// root first (this example runs the built `writ` command), then `npm start`.
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { createKeySet, verifyReceipt } from '@writ/verify'

const quiet = process.argv.includes('--quiet')
const say = (...parts) => {
  if (!quiet) console.log(...parts)
}
const here = dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
const cliManifest = require.resolve('@writ/cli/package.json')
const writ = join(dirname(cliManifest), JSON.parse(readFileSync(cliManifest, 'utf8')).bin.writ)

// 1. A signing key and a store for the receipts, in a scratch directory.
const work = mkdtempSync(join(tmpdir(), 'writ-example-mcp-'))
const key = join(work, 'key.json')
execFileSync(process.execPath, [writ, 'keygen', '--out', key], { stdio: 'ignore' })
const keys = createKeySet(
  JSON.parse(
    execFileSync(process.execPath, [writ, 'keys', 'export', '--key', key], { encoding: 'utf8' }),
  ),
)

// 2. What an MCP host is configured with: the proxy, and the real server after `--`.
const proxy = {
  command: process.execPath,
  args: [
    writ,
    'mcp',
    'proxy',
    '--policy',
    join(here, 'policy.yaml'),
    '--key',
    key,
    '--store',
    join(work, 'receipts.db'),
    '--name',
    'bank',
    '--',
    process.execPath,
    join(here, 'bank-server.mjs'),
  ],
}
say(
  'mcpServers entry:',
  JSON.stringify({ mcpServers: { bank: { command: 'writ', args: proxy.args.slice(1) } } }),
)

const host = new Client({ name: 'example-host', version: '1.0.0' })
await host.connect(new StdioClientTransport({ ...proxy, stderr: quiet ? 'ignore' : 'inherit' }))
try {
  // 3. The model only sees tools some rule could permit: close_account is hidden.
  const tools = (await host.listTools()).tools.map((tool) => tool.name)
  say('tools the model sees:', tools)
  assert.deepEqual(tools, ['transfer'])

  // 4. A permitted call runs; a denied one comes back as a tool error the model reads.
  const paid = await host.callTool({ name: 'transfer', arguments: { to: 'alice', amount: 250 } })
  say('transfer 250 to alice →', paid.content[0].text)
  const refused = await host.callTool({
    name: 'transfer',
    arguments: { to: 'mallory', amount: 10 },
  })
  const refusal = JSON.parse(refused.content[0].text)
  say('transfer 10 to mallory →', `isError=${refused.isError}`, refusal.decision, refusal.reason)
  assert.equal(refused.isError, true)

  // 5. Both answers carry their signed receipt; it verifies with the public keys alone.
  for (const result of [paid, refused]) {
    const { claims } = await verifyReceipt(result._meta['dev.writ/receipt'], keys)
    say(
      `receipt ${claims.jti}: ${claims.decision} ${claims.act.name}, tool definition ${claims.refs['mcp.tool']}`,
    )
  }
  console.log(
    'OK: only the permitted transfer reached the bank server; every answer carries its receipt.',
  )
} finally {
  await host.close()
  rmSync(work, { recursive: true, force: true })
}
