import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { z } from 'zod'
import {
  type AdapterHarness,
  describeAdapterConformance,
  type HarnessCall,
} from '../../../test/conformance/adapter-suite.js'
import { createMcpProxy, gateMcpClient } from '../src/index.js'

/** A real McpServer whose one tool is the suite's tool body, and an SDK Client linked to it. */
async function upstreamFor(call: HarnessCall) {
  const server = new McpServer({ name: 'payments', version: '1.0.0' })
  server.registerTool(
    call.action,
    {
      description: 'Transfer money to a payee.',
      inputSchema: { to: z.string(), amount: z.number(), memo: z.string().optional() },
    },
    async (args) => ({
      content: [{ type: 'text', text: JSON.stringify(await call.execute(args)) }],
    }),
  )
  const [serverSide, clientSide] = InMemoryTransport.createLinkedPair()
  await server.connect(serverSide)
  const client = new Client({ name: 'writ', version: '1.0.0' })
  await client.connect(clientSide)
  return { client, close: () => server.close() }
}

interface ToolResult {
  readonly isError?: boolean
  readonly content: { readonly text: string }[]
}

// The host sends the model's argument text as it is, over Streamable HTTP, to the proxy.
describeAdapterConformance(
  'mcp proxy (Streamable HTTP host side)',
  async (): Promise<AdapterHarness> => {
    const closers: (() => Promise<unknown>)[] = []
    return {
      async run(call) {
        const upstream = await upstreamFor(call)
        const proxy = createMcpProxy({
          gate: call.gate,
          upstream: upstream.client,
          server: 'payments',
          actionName: (tool) => tool,
        })
        const listener = await proxy.listen('127.0.0.1', 0)
        closers.push(listener.close, upstream.close)
        const response = await fetch(listener.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
          },
          body: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":${JSON.stringify(call.action)},"arguments":${call.argsText}}}`,
        })
        const { result } = (await response.json()) as { result: ToolResult }
        return { refused: result.isError === true, text: result.content[0]?.text ?? '' }
      },
      async close() {
        for (const close of closers) await close()
      },
    }
  },
)

// A program hands the gated client the model's argument text as it is; the gate reads it
// strictly (duplicate keys included) and the server gets the permitted object.
describeAdapterConformance('gateMcpClient', async (): Promise<AdapterHarness> => {
  const closers: (() => Promise<unknown>)[] = []
  return {
    async run(call) {
      const upstream = await upstreamFor(call)
      closers.push(upstream.close)
      const gated = gateMcpClient(upstream.client, {
        gate: call.gate,
        server: 'payments',
        actionName: (tool) => tool,
      })
      const result = (await gated.callTool({
        name: call.action,
        arguments: call.argsText,
      })) as ToolResult
      return { refused: result.isError === true, text: result.content[0]?.text ?? '' }
    },
    async close() {
      for (const close of closers) await close()
    },
  }
})
