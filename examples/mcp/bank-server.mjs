// An ordinary MCP server with a bank's tools, knowing nothing of Writ. It prints each
// call it runs on stderr, so you can see which calls reached it.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { z } from 'zod'

const server = new McpServer({ name: 'bank', version: '1.0.0' })
const ran = (tool, args) =>
  process.stderr.write(`bank-server: ran ${tool} ${JSON.stringify(args)}\n`)

server.registerTool(
  'transfer',
  {
    description: 'Transfer money from the customer account to a payee.',
    inputSchema: { to: z.string(), amount: z.number() },
  },
  async (args) => {
    ran('transfer', args)
    return { content: [{ type: 'text', text: `sent ${args.amount} to ${args.to}` }] }
  },
)
server.registerTool(
  'close_account',
  { description: 'Close the customer account.', inputSchema: { account: z.string() } },
  async (args) => {
    ran('close_account', args)
    return { content: [{ type: 'text', text: 'closed' }] }
  },
)

await server.connect(new StdioServerTransport())
