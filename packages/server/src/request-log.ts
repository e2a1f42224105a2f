/**
 * What the authority records about each HTTP request: one log line and the request
 * metrics, written by one middleware after the response is known. Handlers add what
 * only they know (the decision, its rule and reason) with {@link noteRequest}.
 *
 * The line names the caller from its credential, never from the body, and carries no
 * argument values, bodies, tokens or full receipts: a receipt appears as its `jti`.
 */
import { randomUUID } from 'node:crypto'
import { ServerResponse } from 'node:http'
import type { Decision } from '@writ/core'
import type { ErrorHandler, MiddlewareHandler } from 'hono'
import type { Principal } from './credentials.js'
import type { AuthorityLogger } from './logging.js'
import type { AuthorityMetrics } from './metrics.js'

/** What a handler learned about its request, for the log line. */
export interface RequestNote {
  readonly action?: string
  readonly decision?: string
  readonly rule?: string | null
  readonly reason?: string
  readonly jti?: string
}

const notes = new WeakMap<Request, RequestNote>()

/** Adds facts about a request (keyed by the raw `Request`) to its log line. */
export function noteRequest(request: Request, note: RequestNote): void {
  const earlier = notes.get(request)
  notes.set(request, earlier === undefined ? note : { ...earlier, ...note })
}

const principals = new WeakMap<Request, Principal>()

/**
 * Remembers who a handler found behind a request's `Authorization` header, so the log
 * line names the caller without checking the token a second time.
 */
export function notePrincipal(request: Request, principal: Principal): void {
  principals.set(request, principal)
}

/** Adds the decision made for a request to its log line: never its arguments. */
export function noteDecision(request: Request, decision: Decision): void {
  noteRequest(request, {
    action: decision.claims.act.name,
    decision: decision.decision,
    rule: decision.rule ?? null,
    reason: decision.reason,
    jti: decision.claims.jti,
  })
}

/**
 * A request id the caller sent is kept when it is short and plainly an id (letters,
 * digits and `._:+/=-`, up to 128 characters); anything else is replaced by a fresh one,
 * so a header cannot forge or break log lines.
 */
const REQUEST_ID = /^[A-Za-z0-9._:+/=-]{1,128}$/

/** The request id for a request: the caller's well-formed `X-Request-Id`, or a new UUID. */
export function requestIdOf(header: string | undefined): string {
  return header !== undefined && REQUEST_ID.test(header) ? header : randomUUID()
}

/** The route patterns the authority serves, for the `route` label and log field. */
const ROUTES: readonly (readonly [RegExp, string])[] = [
  [/^\/v1\/decisions$/, '/v1/decisions'],
  [/^\/v1\/checkpoints\/latest$/, '/v1/checkpoints/latest'],
  [/^\/v1\/checkpoints$/, '/v1/checkpoints'],
  [/^\/v1\/receipts\/[^/]+$/, '/v1/receipts/:jti'],
  [/^\/v1\/receipts$/, '/v1/receipts'],
  [/^\/\.well-known\/writ\/keys\.json$/, '/.well-known/writ/keys.json'],
  [/^\/healthz$/, '/healthz'],
  [/^\/readyz$/, '/readyz'],
  [/^\/metrics$/, '/metrics'],
]

/** The route pattern of a path; `other` for paths the authority does not serve. */
export function routeOf(path: string): string {
  for (const [pattern, route] of ROUTES) if (pattern.test(path)) return route
  return 'other'
}

/** Routes that probes and scrapers call all the time: logged at `debug` when they succeed. */
const QUIET_ROUTES: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics'])

/**
 * The `code` of a problem+json response, read from a copy of its (small) body. Problems
 * are refusals and failures, so a response under 400 is not read at all.
 */
async function problemCode(response: Response): Promise<string | undefined> {
  if (response.status < 400) return undefined
  if (!response.headers.get('content-type')?.startsWith('application/problem+json'))
    return undefined
  try {
    const body = (await response.clone().json()) as { code?: unknown }
    return typeof body.code === 'string' ? body.code : undefined
  } catch {
    return undefined
  }
}

/**
 * Sets `X-Request-Id` on the answer. Served by Node, the header goes on Node's response,
 * which merges it into the head it writes: the `Response` keeps its plain header object,
 * and `@hono/node-server` writes it without building a `Headers` for it.
 */
function setRequestId(env: unknown, response: Response, requestId: string): void {
  const outgoing = (env as { outgoing?: unknown } | undefined)?.outgoing
  if (outgoing instanceof ServerResponse && !outgoing.headersSent)
    outgoing.setHeader('x-request-id', requestId)
  else response.headers.set('x-request-id', requestId)
}

/** The log level of a request's line: refusals `warn`, failures `error`, probes `debug`. */
function levelOf(status: number, route: string): 'error' | 'warn' | 'info' | 'debug' {
  if (status >= 500) return 'error'
  if (status >= 400) return 'warn'
  return QUIET_ROUTES.has(route) ? 'debug' : 'info'
}

/** Options of {@link requestLogging}. */
export interface RequestLoggingOptions {
  readonly logger: AuthorityLogger
  readonly metrics: AuthorityMetrics
  /** Who presented an `Authorization` header; nobody for a missing or unknown token. */
  readonly identify: (authorization: string | undefined) => Principal | undefined
}

/**
 * The middleware: sets `X-Request-Id` on every response, counts the request by route
 * and status (and every problem response by status and code), and writes one line:
 * `event: "request"`, `requestId`, `method`, `route`, `status`, `latencyMs`, the caller
 * (`agent` or `operator`), the decision's `action`, `decision`, `rule`, `reason` and
 * `jti`, and the problem's `code`. Refusals (4xx) are `warn`, failures (5xx) `error`.
 */
export function requestLogging(options: RequestLoggingOptions): MiddlewareHandler {
  const { logger, metrics } = options
  const identify = (authorization: string | undefined) =>
    authorization === undefined ? undefined : options.identify(authorization)
  return async (context, next) => {
    const started = performance.now()
    const requestId = requestIdOf(context.req.header('x-request-id'))
    await next()
    const response = context.res
    setRequestId(context.env, response, requestId)
    const route = routeOf(context.req.path)
    const status = response.status
    const code = await problemCode(response)
    metrics.httpRequests.inc({ route, status: String(status) })
    if (code !== undefined) metrics.refusals.inc({ status: String(status), code })
    const note = notes.get(context.req.raw)
    if (note?.decision !== undefined) metrics.decisionOutcomes.inc({ decision: note.decision })
    const level = levelOf(status, route)
    // The line (and the caller's identity in it) is built only when it will be written.
    if (!logger.isLevelEnabled(level)) return
    const principal =
      principals.get(context.req.raw) ?? identify(context.req.header('authorization'))
    const line = {
      event: 'request',
      requestId,
      method: context.req.method,
      route,
      status,
      latencyMs: Math.round((performance.now() - started) * 1000) / 1000,
      ...(principal?.kind === 'agent' ? { agent: principal.credential.agent } : {}),
      ...(principal?.kind === 'operator' ? { operator: principal.operator.name } : {}),
      ...note,
      ...(code === undefined ? {} : { code }),
      ...(context.error === undefined ? {} : { error: context.error.name }),
    }
    logger[level](line, `${context.req.method} ${route} ${status}`)
  }
}

/**
 * The answer to an error no handler caught: logged (its name and code, not its message,
 * which may quote input) and answered 500 `INTERNAL` as problem+json, failing closed.
 */
export function internalError(logger: AuthorityLogger): ErrorHandler {
  return (error, context) => {
    const code = (error as { code?: unknown }).code
    logger.error(
      {
        event: 'unhandled-error',
        error: error.name,
        ...(typeof code === 'string' ? { code } : {}),
        route: routeOf(context.req.path),
      },
      'a request failed unexpectedly',
    )
    return new Response(
      JSON.stringify({
        type: 'https://writ.dev/problems/internal',
        title: 'INTERNAL',
        status: 500,
        code: 'INTERNAL',
        detail: 'The authority failed unexpectedly; nothing was decided.',
      }),
      { status: 500, headers: { 'content-type': 'application/problem+json' } },
    )
  }
}
