/**
 * An in-process bank: a real `McpServer` with tools, linked to a real SDK `Client` by the
 * SDK's in-memory transport, recording the calls that reach it.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { compilePolicy, createGate, createMemoryStore, generateSigningKey } from '@writ/core'
import { z } from 'zod'
import { bankPolicy } from './support.js'

export interface InProcessBank {
  readonly client: Client
  readonly calls: { tool: string; args: unknown }[]
  close(): Promise<void>
}

/** The bank's `transfer` and `balance` tools (plus `close_account`), served in this process. */
export async function inProcessBank(
  description = 'Transfer money to a payee.',
): Promise<InProcessBank> {
  const calls: { tool: string; args: unknown }[] = []
  const server = new McpServer({ name: 'bank', version: '1.0.0' })
  server.registerTool(
    'transfer',
    { description, inputSchema: { to: z.string(), amount: z.number() } },
    async (args) => {
      calls.push({ tool: 'transfer', args })
      return { content: [{ type: 'text', text: `sent ${args.amount} to ${args.to}` }] }
    },
  )
  server.registerTool('balance', { description: 'The balance.' }, async () => {
    calls.push({ tool: 'balance', args: {} })
    return { content: [{ type: 'text', text: 'balance 1000' }] }
  })
  server.registerTool(
    'close_account',
    { description: 'Close the account.', inputSchema: { account: z.string() } },
    async (args) => {
      calls.push({ tool: 'close_account', args })
      return { content: [{ type: 'text', text: 'closed' }] }
    },
  )
  const [serverSide, clientSide] = InMemoryTransport.createLinkedPair()
  await server.connect(serverSide)
  const client = new Client({ name: 'program', version: '1.0.0' })
  await client.connect(clientSide)
  return {
    client,
    calls,
    close: async () => {
      await client.close()
      await server.close()
    },
  }
}

/** A local gate under `policyText` (the bank policy unless given), with an in-memory store. */
export function bankGate(policyText = bankPolicy) {
  return createGate({
    policy: compilePolicy(policyText, { source: 'bank.yaml' }),
    keys: generateSigningKey(),
    issuer: 'https://writ.test',
    store: createMemoryStore(),
  })
}
