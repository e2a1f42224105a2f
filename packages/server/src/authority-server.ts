import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import {
  type ActionRequest,
  type CompiledPolicy,
  compilePolicy,
  type LocalGate,
  type StoredCheckpoint,
  type StoredReceipt,
} from '@writ/core'
import { type JsonObject, parseJson, WritError } from '@writ/verify'
import { Hono } from 'hono'
import { type AgentLimitOptions, createAgentLimits } from './agent-limits.js'
import {
  type AgentCredential,
  createCredentialCheck,
  type OperatorCredential,
  type Principal,
} from './credentials.js'
import { readDecisionRequest } from './decision-request.js'
import { type AuthorityLogger, silentLogger } from './logging.js'
import { type AuthorityMetrics, createMetrics } from './metrics.js'
import { signingKeyProblem } from './readiness.js'
import { type ReceiptView, type RowFault, viewOf } from './receipt-view.js'
import { readBodyWithin } from './request-body.js'
import { internalError, noteDecision, requestLogging } from './request-log.js'

/** Options of {@link createAuthorityServer}. */
export interface AuthorityServerOptions {
  /** The local gate that holds the key, the policy and the store. */
  readonly gate: LocalGate
  /** Agents allowed to ask for decisions, each with the SHA-256 of its bearer token. */
  readonly agents: readonly AgentCredential[]
  /**
   * Operators: the only callers that may issue checkpoints (`POST /v1/checkpoints`),
   * read every agent's receipts, and scrape `/metrics`. Their tokens cannot ask for
   * decisions, and no token hash may be both an agent's and an operator's.
   */
  readonly operators?: readonly OperatorCredential[]
  /**
   * Who may read `/metrics`: `'operator'` (default) requires an operator token;
   * `'public'` serves it to anyone, for scraping on a private network only (the labels
   * name actions and policy digests).
   */
  readonly metrics?: 'operator' | 'public'
  /** Where the policy came from, so {@link AuthorityServer.reloadPolicy} can read it again. */
  readonly policyFile?: string
  /** Reads the policy file for a reload. Default: `readFile(path, 'utf8')`. */
  readonly readPolicyFile?: (path: string) => Promise<string>
  /**
   * Largest request body accepted, in bytes. Default 2 MiB (arguments are capped at 1 MiB
   * by the gate). Bodies are read as they stream in and refused (413 `BODY_TOO_LARGE`)
   * the moment they cross it, chunked or not.
   */
  readonly maxBodyBytes?: number
  /**
   * Per-credential limits on decisions: rate (token bucket, default 50/s with bursts of
   * 100) and decisions in flight (default 16). Beyond them: 429 `RATE_LIMITED` or
   * `CONCURRENCY_LIMITED`, with `Retry-After`.
   */
  readonly limits?: AgentLimitOptions
  /** Issue a checkpoint of the chain this often (ms). Default: only on demand. */
  readonly checkpointIntervalMs?: number
  /**
   * Accept a `context` member from agents. Default `false`: in server mode the agent is
   * not trusted to describe its own situation (an agent could claim `approved: true`),
   * so policies see only the operator's facts from {@link AgentCredential.context}, and a
   * request carrying `context` is refused with 400 `CONTEXT_NOT_ACCEPTED`. When `true`,
   * the agent's context is merged under the credential's, whose members always win.
   */
  readonly acceptAgentContext?: boolean
  /**
   * Where the authority logs: one JSON line per request (see `createAuthorityLogger`).
   * Default: nothing is logged.
   */
  readonly logger?: AuthorityLogger
}

/**
 * The result of a policy reload: applied; failed (the previous policy keeps serving);
 * or superseded, when a later reload started before this one finished reading, so this
 * one's file contents were already out of date and were not applied.
 */
export type ReloadResult =
  | { readonly ok: true; readonly status: 'applied'; readonly policy: CompiledPolicy }
  | { readonly ok: false; readonly status: 'failed'; readonly error: WritError }
  | { readonly ok: false; readonly status: 'superseded' }

/** A running authority: the Hono app, its metrics and its controls. */
export interface AuthorityServer {
  /** The HTTP application (a Fetch-API handler: `app.fetch(request)`). */
  readonly app: Hono
  readonly metrics: AuthorityMetrics
  /**
   * Reads the policy file again; on any problem keeps serving the last valid policy.
   * Reloads apply in the order they were started: the latest one wins, always.
   */
  reloadPolicy(): Promise<ReloadResult>
  /** Stops the periodic checkpoints (the gate and its store stay open). */
  stop(): void
}

function problem(
  status: number,
  code: string,
  detail: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Response {
  return new Response(
    JSON.stringify({
      type: `https://writ.dev/problems/${code.toLowerCase()}`,
      title: code,
      status,
      code,
      detail,
      ...extra,
    }),
    {
      status,
      headers: { 'content-type': 'application/problem+json', ...headers },
    },
  )
}

function statusOf(code: string): number {
  if (code === 'GATE_TIMEOUT') return 504
  if (code.startsWith('STORE_') || code === 'KEY_MISSING' || code === 'KEY_INVALID') return 503
  return 500
}

const unauthenticated = () => problem(401, 'UNAUTHENTICATED', 'A valid bearer token is required.')
const storeUnavailable = (error: unknown, detail: string) =>
  problem(503, WritError.isInstance(error) ? error.code : 'STORE_UNAVAILABLE', detail)
const rowFault = (fault: RowFault) => problem(500, fault.code, fault.detail)

/**
 * The Writ authority as an HTTP service. Agents send proposed actions with their
 * own bearer token; the identity signed into each receipt (`sub`) comes from that
 * token, never from the request body. Receiving services fetch the public keys from
 * `/.well-known/writ/keys.json` and verify receipts offline.
 *
 * Routes: `POST /v1/decisions` (agents), `GET /.well-known/writ/keys.json` (public),
 * `GET /v1/checkpoints/latest` (public), `POST /v1/checkpoints` (operators),
 * `GET /v1/receipts/:jti` and `GET /v1/receipts?request=ID` (an agent its own, operators
 * all), `GET /healthz`, `GET /readyz`, `GET /metrics` (operators, unless made public).
 */
export function createAuthorityServer(options: AuthorityServerOptions): AuthorityServer {
  const { gate } = options
  const maxBodyBytes = options.maxBodyBytes ?? 2 * 1024 * 1024
  const authenticate = createCredentialCheck(options.agents, options.operators ?? [])
  const limits = createAgentLimits(options.limits)
  const metrics = createMetrics()
  const logger = options.logger ?? silentLogger()
  const app = new Hono()
  // First, so every response carries X-Request-Id and every request is logged and counted.
  app.use('*', requestLogging({ logger, metrics, identify: authenticate }))
  app.onError(internalError(logger))

  const principalOf = (authorization: string | undefined): Principal | undefined => {
    const principal = authenticate(authorization)
    if (principal === undefined) metrics.authFailures.inc()
    return principal
  }

  app.post('/v1/decisions', async (context) => {
    const principal = principalOf(context.req.header('authorization'))
    if (principal === undefined) return unauthenticated()
    if (principal.kind !== 'agent')
      return problem(403, 'AGENT_REQUIRED', 'Decisions are asked for with an agent token.')
    const credential = principal.credential
    const slot = limits.acquire(credential.tokenSha256)
    if (!('release' in slot)) {
      metrics.limited.inc({ code: slot.code })
      return problem(
        429,
        slot.code,
        slot.code === 'RATE_LIMITED'
          ? 'This credential sent too many requests; try again later.'
          : 'This credential has too many decisions in flight; try again when one is answered.',
        {},
        { 'retry-after': String(slot.retryAfterSeconds) },
      )
    }
    try {
      return await decide(context.req.raw, credential)
    } finally {
      slot.release()
    }
  })

  const decide = async (raw: Request, credential: AgentCredential): Promise<Response> => {
    let bytes: Uint8Array
    try {
      bytes = await readBodyWithin(raw, maxBodyBytes)
    } catch (error) {
      if (WritError.isInstance(error) && error.code === 'BODY_TOO_LARGE')
        return problem(413, 'BODY_TOO_LARGE', error.message)
      return problem(400, 'INPUT_SYNTAX', 'The request body could not be read.')
    }
    let body: JsonObject
    try {
      const parsed = parseJson(new TextDecoder('utf-8', { fatal: true }).decode(bytes), {
        maxBytes: maxBodyBytes,
        maxDepth: 80,
      })
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        throw new WritError('INPUT_NOT_OBJECT', 'The request body must be a JSON object.')
      body = parsed
    } catch (error) {
      const code = WritError.isInstance(error) ? error.code : 'INPUT_SYNTAX'
      return problem(
        400,
        code,
        'The request body is not a valid decision request. Send arguments as a JSON string in "args" to keep them byte-exact.',
      )
    }
    const request = readDecisionRequest(body, credential, {
      acceptAgentContext: options.acceptAgentContext === true,
    })
    if ('status' in request) return problem(request.status, request.code, request.detail)
    const started = performance.now()
    try {
      // `action` may be absent for an HTTP action: the gate then names it itself.
      const decision = await gate.authorize(request as ActionRequest)
      metrics.latency.observe((performance.now() - started) / 1000)
      noteDecision(raw, decision)
      metrics.decisions.inc({
        decision: decision.decision,
        reason: decision.reason,
        action: decision.claims.act.name,
        policy_digest: decision.claims.policy.digest,
      })
      return Response.json({
        decision: decision.decision,
        reason: decision.reason,
        rule: decision.rule,
        receipt: decision.receipt,
        ...(decision.decision !== 'PERMIT' && decision.problem
          ? { problem: decision.problem }
          : {}),
      })
    } catch (error) {
      const code = WritError.isInstance(error) ? error.code : 'GATE_ERROR'
      if (code.startsWith('STORE_')) metrics.storeErrors.inc({ code })
      // Fails closed: no receipt could be issued, so there is nothing to execute on.
      return problem(
        statusOf(code),
        code,
        'No decision could be recorded; the action must not run.',
      )
    }
  }

  app.get('/.well-known/writ/keys.json', async (context) => {
    context.header('cache-control', 'public, max-age=60')
    return context.json(await gate.keys())
  })

  app.get('/v1/checkpoints/latest', async (context) => {
    const chain = context.req.query('chain') ?? gate.chainId
    try {
      const checkpoint = await gate.store.latestCheckpoint(chain)
      return checkpoint
        ? context.json(checkpoint)
        : problem(404, 'CHECKPOINT_INVALID', `No checkpoint for chain ${chain} yet.`)
    } catch (error) {
      return storeUnavailable(error, 'The store is unavailable.')
    }
  })

  app.post('/v1/checkpoints', async (context) => {
    const principal = principalOf(context.req.header('authorization'))
    if (principal === undefined) return unauthenticated()
    if (principal.kind !== 'operator')
      return problem(403, 'OPERATOR_REQUIRED', 'Only an operator token may issue checkpoints.')
    try {
      const checkpoint: StoredCheckpoint = await gate.checkpoint()
      return context.json(checkpoint, 201)
    } catch (error) {
      return storeUnavailable(error, 'No checkpoint could be issued.')
    }
  })

  // An agent sees only receipts whose verified `sub` is its own; anything else is
  // indistinguishable from a receipt that does not exist. Operators see all.
  const mayRead = (principal: Principal, view: ReceiptView): boolean =>
    principal.kind === 'operator' || view.claims.sub === principal.credential.agent
  const readable = async (
    principal: Principal,
    stored: StoredReceipt,
  ): Promise<ReceiptView | RowFault | undefined> => {
    const checked = await viewOf(stored, gate.verifyKeys())
    // A token that does not verify names nobody: it is reported to whoever asks.
    if (checked.view === undefined) return checked.fault
    if (!mayRead(principal, checked.view)) return undefined
    return checked.fault ?? checked.view
  }

  app.get('/v1/receipts/:jti', async (context) => {
    const principal = principalOf(context.req.header('authorization'))
    if (principal === undefined) return unauthenticated()
    let stored: StoredReceipt | undefined
    try {
      stored = await gate.store.receipt(context.req.param('jti'))
    } catch (error) {
      return storeUnavailable(error, 'The store is unavailable.')
    }
    const result = stored === undefined ? undefined : await readable(principal, stored)
    if (result === undefined) return problem(404, 'RECEIPT_MISSING', 'No receipt with that id.')
    if ('code' in result) return rowFault(result)
    if (result.claims.jti !== context.req.param('jti'))
      return rowFault({ code: 'STORE_CORRUPT', detail: 'The store returned another receipt.' })
    return context.json(result)
  })

  app.get('/v1/receipts', async (context) => {
    const principal = principalOf(context.req.header('authorization'))
    if (principal === undefined) return unauthenticated()
    const request = context.req.query('request')
    if (!request) return problem(400, 'INPUT_SYNTAX', 'Query parameter "request" is required.')
    let rows: StoredReceipt[]
    try {
      rows = await gate.store.receiptsByRequest(request)
    } catch (error) {
      return storeUnavailable(error, 'The store is unavailable.')
    }
    const receipts: ReceiptView[] = []
    for (const stored of rows) {
      const result = await readable(principal, stored)
      if (result === undefined) continue
      if ('code' in result) return rowFault(result)
      if (result.claims.req !== request)
        return rowFault({ code: 'STORE_CORRUPT', detail: 'The store returned another request.' })
      receipts.push(result)
    }
    return context.json({ receipts })
  })

  app.get('/healthz', (context) => context.json({ status: 'ok' }))

  app.get('/readyz', async (context) => {
    const keyProblem = signingKeyProblem(gate, Math.floor(Date.now() / 1000))
    if (keyProblem !== undefined) return problem(503, 'KEY_INVALID', keyProblem)
    try {
      await gate.store.head(gate.chainId)
      return context.json({
        status: 'ready',
        policy: { id: gate.policy.id, digest: gate.policy.digest },
        chain: gate.chainId,
      })
    } catch (error) {
      return storeUnavailable(error, 'The store is not reachable.')
    }
  })

  app.get('/metrics', (context) => {
    if (options.metrics !== 'public') {
      const principal = principalOf(context.req.header('authorization'))
      if (principal === undefined) return unauthenticated()
      if (principal.kind !== 'operator')
        return problem(403, 'OPERATOR_REQUIRED', 'Only an operator token may read metrics.')
    }
    context.header('content-type', 'text/plain; version=0.0.4')
    return context.body(metrics.render())
  })

  const timer =
    options.checkpointIntervalMs === undefined
      ? undefined
      : setInterval(() => {
          gate.checkpoint().catch((error: unknown) => {
            metrics.storeErrors.inc({ code: 'CHECKPOINT' })
            logger.error(
              {
                event: 'checkpoint-failed',
                code: WritError.isInstance(error) ? error.code : 'INTERNAL',
              },
              'the periodic checkpoint could not be issued',
            )
          })
        }, options.checkpointIntervalMs)
  timer?.unref()

  const readPolicyFile = options.readPolicyFile ?? ((path: string) => readFile(path, 'utf8'))
  // Reloads are numbered as they start; one applies only if no later one has started,
  // so a slow read of an old file can never overwrite a newer policy.
  let reloadsStarted = 0

  return {
    app,
    metrics,
    async reloadPolicy(): Promise<ReloadResult> {
      const policyFile = options.policyFile
      if (policyFile === undefined) {
        return {
          ok: false,
          status: 'failed',
          error: new WritError(
            'POLICY_INVALID',
            'This server was started without a policy file to reload.',
          ),
        }
      }
      reloadsStarted += 1
      const ticket = reloadsStarted
      let policy: CompiledPolicy
      try {
        const text = await readPolicyFile(policyFile)
        policy = compilePolicy(text, { source: policyFile })
      } catch (error) {
        if (ticket !== reloadsStarted) {
          metrics.policyReloads.inc({ result: 'superseded' })
          return { ok: false, status: 'superseded' }
        }
        metrics.policyReloads.inc({ result: 'kept-previous' })
        const failure = WritError.isInstance(error)
          ? error
          : new WritError('POLICY_INVALID', String(error), { cause: error })
        return { ok: false, status: 'failed', error: failure }
      }
      if (ticket !== reloadsStarted) {
        metrics.policyReloads.inc({ result: 'superseded' })
        return { ok: false, status: 'superseded' }
      }
      gate.setPolicy(policy)
      metrics.policyReloads.inc({ result: 'ok' })
      return { ok: true, status: 'applied', policy }
    },
    stop() {
      if (timer) clearInterval(timer)
    },
  }
}

/** A server listening on a port. */
export interface ListeningAuthority extends AuthorityServer {
  /** Base URL, e.g. `http://127.0.0.1:8787`. */
  readonly url: string
  close(): Promise<void>
}

/** Starts {@link createAuthorityServer} on Node's HTTP server. Port 0 picks a free port. */
export async function startAuthorityServer(
  options: AuthorityServerOptions & { readonly port?: number; readonly hostname?: string },
): Promise<ListeningAuthority> {
  const authority = createAuthorityServer(options)
  const hostname = options.hostname ?? '127.0.0.1'
  return new Promise((resolve) => {
    const server = serve(
      { fetch: authority.app.fetch, port: options.port ?? 0, hostname },
      (info: AddressInfo) => {
        resolve({
          ...authority,
          url: `http://${hostname.includes(':') ? `[${hostname}]` : hostname}:${info.port}`,
          close: () =>
            new Promise<void>((done) => {
              authority.stop()
              server.close(() => done())
              ;(server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.()
            }),
        })
      },
    )
  })
}
