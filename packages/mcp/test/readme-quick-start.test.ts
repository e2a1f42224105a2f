// The README quick start (the program), verbatim except for the server's path.
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { compilePolicy, createGate, generateSigningKey } from '@writ/core'
import { expect, it } from 'vitest'
import { gateMcpClient, permittableBy } from '../src/index.js'
import { bankServer } from './support.js'

it('runs the README quick start', async () => {
  const gate = createGate({
    policy: compilePolicy(`
writ: 1
id: bank
rules:
  - id: small-transfers
    effect: permit
    actions: [mcp.bank.transfer]
    when: args.amount <= 1000
`),
    keys: generateSigningKey(),
    issuer: 'https://authority.example',
  })
  const client = new Client({ name: 'my-agent', version: '1.0.0' })
  await client.connect(new StdioClientTransport({ command: 'node', args: [bankServer] }))
  try {
    const bank = gateMcpClient(client, {
      gate,
      server: 'bank',
      visible: permittableBy(gate.policy),
    })
    const result = await bank.callTool({
      name: 'transfer',
      arguments: { to: 'alice', amount: 250 },
    })
    expect(result.isError).not.toBe(true)
    expect(result._meta?.['dev.writ/receipt']).toMatch(/^ey/)
    expect((await bank.listTools()).tools.map((tool) => tool.name)).toEqual(['transfer'])
  } finally {
    await client.close()
  }
})
