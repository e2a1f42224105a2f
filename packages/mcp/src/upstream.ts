import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js'
import type { Upstream } from './gated-tools.js'

/** The most `tools/list` pages read from one server: a server cannot keep the gate listing forever. */
const MAX_PAGES = 100

/** `client` as the gate's upstream: every page of its tools, and its `tools/call`. */
export function clientUpstream(client: Pick<Client, 'listTools' | 'callTool'>): Upstream {
  return {
    async listTools() {
      const tools: Tool[] = []
      let cursor: string | undefined
      for (let page = 0; page < MAX_PAGES; page++) {
        const answer = await client.listTools(cursor === undefined ? undefined : { cursor })
        tools.push(...answer.tools)
        cursor = answer.nextCursor
        if (cursor === undefined) break
      }
      return tools
    },
    callTool: async (name, args, meta) =>
      (await client.callTool({ name, arguments: args, _meta: meta })) as CallToolResult,
  }
}
