import type { Readable, Writable } from 'node:stream'
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import { type GatedTools, gatedTools } from './gated-tools.js'
import { listenMcp, type McpListener } from './http-listener.js'
import { type McpGateOptions, serverNameOf } from './options.js'
import { ScreenedStdioTransport, type UnreadableCallHandler } from './stdio-transport.js'
import { clientUpstream } from './upstream.js'

/** Options of {@link createMcpProxy}. */
export interface McpProxyOptions extends McpGateOptions {
  /** The upstream server, through a connected SDK `Client`. */
  readonly upstream: Client
}

/** An MCP server that stands in front of another one, deciding every `tools/call`. */
export interface McpProxy {
  /** A new SDK `Server` (one per host connection) answering `tools/list` and `tools/call` through the gate. */
  createServer(): Server
  /** Serves one host over stdio (the process's own by default); resolves once it has connected. */
  serveStdio(input?: Readable, output?: Writable): Promise<Server>
  /** Serves hosts over Streamable HTTP at `http://<host>:<port>/mcp` (port 0: any free port). */
  listen(host: string, port: number): Promise<McpListener>
}

/**
 * The MCP gateway: presents the upstream server's tools to a host, filtered and pinned,
 * and forwards a `tools/call` only when the gate PERMITs it. Only tools pass through:
 * the upstream's resources, prompts and other capabilities are not offered to the host.
 *
 * @example
 * ```ts
 * const upstream = new Client({ name: 'writ', version: '1.0.0' })
 * await upstream.connect(new StdioClientTransport({ command: 'node', args: ['bank-server.js'] }))
 * const proxy = createMcpProxy({ gate, upstream, server: 'bank', visible: permittableBy(gate.policy) })
 * await proxy.serveStdio()
 * ```
 */
export function createMcpProxy(options: McpProxyOptions): McpProxy {
  const info = options.upstream.getServerVersion()
  const server = serverNameOf(options.server)
  const tools = gatedTools(clientUpstream(options.upstream), { ...options, server })
  const unreadable: UnreadableCallHandler = async (call) =>
    (await tools.call(call.name, call.text, call.error)).result
  const createServer = () => proxyServer(tools, `writ-mcp-${server}`, info?.version ?? '0.0.0')
  return {
    createServer,
    async serveStdio(input, output) {
      const host = createServer()
      await host.connect(new ScreenedStdioTransport(unreadable, input, output))
      return host
    },
    listen: (host, port) => listenMcp(host, port, createServer, unreadable),
  }
}

function proxyServer(tools: GatedTools, name: string, version: string): Server {
  const server = new Server({ name, version }, { capabilities: { tools: {} } })
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: await tools.list() }))
  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    const { name: tool, arguments: args } = request.params
    return (await tools.call(tool, args ?? {})).result
  })
  return server
}
