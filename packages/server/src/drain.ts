/**
 * The authority's HTTP listener: bound before anything else starts, and drained on
 * shutdown so that no stored decision goes unanswered without a trace.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { getRequestListener } from '@hono/node-server'

/** A decision whose receipt was stored but whose answer never reached the agent. */
export interface UnansweredDecision {
  readonly jti: string
  /** The receipt's request id (`req`). */
  readonly request: string
  readonly decision: string
  readonly agent: string
}

/** What a drain did: whether every request in flight finished before the deadline. */
export interface DrainResult {
  readonly completed: boolean
  /** Requests still in flight at the deadline (their connections were then closed). */
  readonly abandoned: number
}

/** Options of {@link bindAuthority}. */
export interface BindOptions {
  readonly port?: number
  readonly hostname?: string
  /** Called once for each decision stored but not answered (its connection failed or was closed). */
  readonly onUnanswered?: (decision: UnansweredDecision) => void
}

/** A handler of Fetch-API requests, such as `createAuthorityServer(...).app`. */
export interface FetchHandler {
  fetch(request: Request, env?: unknown): Response | Promise<Response>
}

/**
 * A bound port. Until {@link BoundAuthority.serve} is called every request gets 503
 * `STARTING`; once {@link BoundAuthority.drain} starts, the port stops accepting
 * connections and requests on open connections get 503 `SHUTTING_DOWN`.
 */
export interface BoundAuthority {
  /** Base URL, e.g. `http://127.0.0.1:8787`. */
  readonly url: string
  readonly port: number
  /** True once a drain started. */
  readonly draining: boolean
  /** Requests being handled now. */
  readonly inFlight: number
  /** Starts answering with `handler`. */
  serve(handler: FetchHandler): void
  /**
   * Stops accepting, waits up to `timeoutMs` for the requests in flight to be answered,
   * then closes every connection. Resolves when done; never rejects.
   */
  drain(timeoutMs: number): Promise<DrainResult>
  /**
   * Waits (up to `timeoutMs`) for handlers that outlived their connections to finish,
   * so that each decision they stored is reported to `onUnanswered`. Call after closing
   * the store, which settles every decision still waiting for it.
   */
  settled(timeoutMs: number): Promise<void>
}

function shuttingDown(response: ServerResponse, code: 'STARTING' | 'SHUTTING_DOWN'): void {
  const body = JSON.stringify({
    type: `https://writ.dev/problems/${code.toLowerCase()}`,
    title: code,
    status: 503,
    code,
    detail:
      code === 'STARTING'
        ? 'The authority is starting; try again shortly.'
        : 'The authority is shutting down; send the request to another instance or try again.',
  })
  response.writeHead(503, {
    'content-type': 'application/problem+json',
    'retry-after': '1',
    connection: 'close',
    'content-length': Buffer.byteLength(body),
  })
  response.end(body)
}

function decodeClaims(receipt: unknown): UnansweredDecision | undefined {
  if (typeof receipt !== 'string') return undefined
  const payload = receipt.split('.')[1]
  if (payload === undefined) return undefined
  try {
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >
    return {
      jti: String(claims['jti']),
      request: String(claims['req']),
      decision: String(claims['decision']),
      agent: String(claims['sub']),
    }
  } catch {
    return undefined
  }
}

/** The stored decision a response carries, read from its receipt. */
async function decisionOf(
  request: Request,
  response: Response,
): Promise<UnansweredDecision | undefined> {
  if (request.method !== 'POST' || response.status !== 200) return undefined
  if (new URL(request.url).pathname !== '/v1/decisions') return undefined
  try {
    const body = (await response.clone().json()) as { receipt?: unknown }
    return decodeClaims(body.receipt)
  } catch {
    return undefined
  }
}

interface Exchange {
  closed: boolean
  finished: boolean
  decision: UnansweredDecision | undefined
  reported: boolean
}

/** What a bound listener tracks: its handler, its connections and the requests in flight. */
interface ListenerState {
  handler: FetchHandler | undefined
  draining: boolean
  inFlight: number
  readonly sockets: Set<Socket>
  readonly exchanges: Map<ServerResponse, Exchange>
  readonly handlers: Set<Promise<unknown>>
  idle: (() => void) | undefined
  readonly onUnanswered: ((decision: UnansweredDecision) => void) | undefined
}

function report(state: ListenerState, exchange: Exchange): void {
  if (exchange.reported || exchange.decision === undefined || exchange.finished) return
  exchange.reported = true
  state.onUnanswered?.(exchange.decision)
}

/** Hono's listener around the handler, noting the decision each response carries. */
function fetchListener(state: ListenerState) {
  return getRequestListener(async (request, env) => {
    const outgoing = (env as { outgoing: ServerResponse }).outgoing
    const exchange = state.exchanges.get(outgoing)
    const work = Promise.resolve((state.handler as FetchHandler).fetch(request, env))
    state.handlers.add(work)
    try {
      const response = await work
      if (exchange !== undefined) {
        exchange.decision = await decisionOf(request, response)
        // The connection went away while the decision was being made: nobody will read it.
        if (exchange.closed) report(state, exchange)
      }
      return response
    } finally {
      state.handlers.delete(work)
    }
  })
}

/** Counts one request in flight until its response closes, then reports it if unanswered. */
function track(state: ListenerState, outgoing: ServerResponse): void {
  const exchange: Exchange = {
    closed: false,
    finished: false,
    decision: undefined,
    reported: false,
  }
  state.exchanges.set(outgoing, exchange)
  state.inFlight += 1
  outgoing.once('finish', () => {
    exchange.finished = true
  })
  outgoing.once('close', () => {
    exchange.closed = true
    state.exchanges.delete(outgoing)
    state.inFlight -= 1
    report(state, exchange)
    if (state.inFlight === 0) state.idle?.()
  })
}

function createListenerServer(state: ListenerState): Server {
  const listener = fetchListener(state)
  const server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    if (state.handler === undefined) return shuttingDown(outgoing, 'STARTING')
    if (state.draining) return shuttingDown(outgoing, 'SHUTTING_DOWN')
    track(state, outgoing)
    void listener(incoming, outgoing)
  })
  server.on('connection', (socket: Socket) => {
    state.sockets.add(socket)
    socket.once('close', () => state.sockets.delete(socket))
  })
  return server
}

function drain(state: ListenerState, server: Server, timeoutMs: number): Promise<DrainResult> {
  state.draining = true
  server.close()
  server.closeIdleConnections()
  return new Promise<DrainResult>((done) => {
    const finish = (completed: boolean) => {
      clearTimeout(timer)
      state.idle = undefined
      const abandoned = state.inFlight
      for (const socket of state.sockets) socket.destroy()
      done({ completed, abandoned })
    }
    const timer = setTimeout(() => finish(false), timeoutMs)
    if (state.inFlight === 0) finish(true)
    else state.idle = () => finish(true)
  })
}

async function settled(state: ListenerState, timeoutMs: number): Promise<void> {
  if (state.handlers.size === 0) return
  let timer: ReturnType<typeof setTimeout> | undefined
  await Promise.race([
    Promise.allSettled([...state.handlers]),
    new Promise((done) => {
      timer = setTimeout(done, timeoutMs)
    }),
  ])
  clearTimeout(timer)
}

function boundAuthority(state: ListenerState, server: Server, hostname: string): BoundAuthority {
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://${hostname.includes(':') ? `[${hostname}]` : hostname}:${port}`,
    port,
    get draining() {
      return state.draining
    },
    get inFlight() {
      return state.inFlight
    },
    serve(next) {
      state.handler = next
    },
    drain: (timeoutMs) => drain(state, server, timeoutMs),
    settled: (timeoutMs) => settled(state, timeoutMs),
  }
}

/**
 * Binds the port first, before any store is opened, so a port in use fails the start
 * with nothing created (the rejection carries Node's `code`, e.g. `EADDRINUSE`).
 */
export function bindAuthority(options: BindOptions = {}): Promise<BoundAuthority> {
  const hostname = options.hostname ?? '127.0.0.1'
  const state: ListenerState = {
    handler: undefined,
    draining: false,
    inFlight: 0,
    sockets: new Set(),
    exchanges: new Map(),
    handlers: new Set(),
    idle: undefined,
    onUnanswered: options.onUnanswered,
  }
  const server = createListenerServer(state)
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, hostname, () => {
      server.off('error', reject)
      resolve(boundAuthority(state, server, hostname))
    })
  })
}
