import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Server } from '@modelcontextprotocol/sdk/server/index.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { MAX_MESSAGE_BYTES, screenMessage } from './screen-message.js'
import type { UnreadableCallHandler } from './stdio-transport.js'

/** A listening Streamable HTTP endpoint. */
export interface McpListener {
  /** The endpoint, `http://<host>:<port>/mcp`. */
  readonly url: string
  close(): Promise<void>
}

/**
 * Serves MCP over Streamable HTTP at `/mcp`, statelessly: each POST gets a fresh server
 * from `newServer` and a JSON answer (no SSE streams, no sessions). The Host header must
 * name the address listened on and an Origin, when sent, must be of that address (DNS
 * rebinding). Bodies are read here, bounded, and screened like stdio lines.
 */
export async function listenMcp(
  host: string,
  port: number,
  newServer: () => Server,
  unreadable: UnreadableCallHandler,
): Promise<McpListener> {
  const allowed = new Set<string>()
  const http = createServer((request, response) => {
    handle(request, response, allowed, newServer, unreadable).catch(() => {
      if (!response.headersSent) reply(response, 500, { error: 'internal error' })
    })
  })
  http.listen(port, host)
  await new Promise<void>((resolve, reject) => {
    http.once('listening', resolve).once('error', reject)
  })
  const bound = (http.address() as AddressInfo).port
  const authority = host.includes(':') ? `[${host}]:${bound}` : `${host}:${bound}`
  for (const name of [authority, `localhost:${bound}`]) allowed.add(name)
  return {
    url: `http://${authority}/mcp`,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections()
        http.close(() => resolve())
      }),
  }
}

async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  allowed: ReadonlySet<string>,
  newServer: () => Server,
  unreadable: UnreadableCallHandler,
): Promise<void> {
  const origin = request.headers.origin
  if (
    !allowed.has(request.headers.host ?? '') ||
    (origin !== undefined && !allowed.has(origin.replace(/^https?:\/\//, '')))
  )
    return reply(response, 403, { error: 'host or origin not allowed' })
  if (new URL(request.url ?? '/', 'http://x').pathname !== '/mcp')
    return reply(response, 404, { error: 'not found' })
  if (request.method !== 'POST')
    return reply(response, 405, { error: 'POST only' }, { allow: 'POST' })
  const text = await readBody(request)
  if (text === undefined) return reply(response, 413, { error: 'message too large' })
  const screened = screenMessage(text)
  if (screened.kind === 'drop') return reply(response, 202)
  if (screened.kind === 'error')
    return reply(response, 400, {
      jsonrpc: '2.0',
      id: screened.id,
      error: { code: screened.code, message: screened.message },
    })
  if (screened.kind === 'unreadable-call')
    return reply(response, 200, {
      jsonrpc: '2.0',
      id: screened.id,
      result: await unreadable(screened),
    })
  const server = newServer()
  const transport = new StreamableHTTPServerTransport({
    enableJsonResponse: true,
  })
  response.on('close', () => {
    void transport.close()
    void server.close()
  })
  await server.connect(transport)
  await transport.handleRequest(request, response, screened.message)
}

async function readBody(request: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_MESSAGE_BYTES) return undefined
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function reply(
  response: ServerResponse,
  status: number,
  body?: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(
    status,
    body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
  )
  response.end(body === undefined ? undefined : JSON.stringify(body))
}
