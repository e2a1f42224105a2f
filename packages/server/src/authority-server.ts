import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import type { LocalGate, WitnessEndpoint } from '@writ/core'
import { Hono } from 'hono'
import { type AgentLimitOptions, createAgentLimits } from './agent-limits.js'
import { type ApprovalsPageOptions, registerApprovalsPage } from './approvals/approvals-page.js'
import type { PageContext } from './approvals/page-context.js'
import { createCheckpointPublisher } from './checkpoint-publisher.js'
import { type ConsoleOptions, policyMemory, registerConsole } from './console/console-page.js'
import {
  type AgentCredential,
  createCredentialCheck,
  type OperatorCredential,
} from './credentials.js'
import { type AuthorityLogger, silentLogger } from './logging.js'
import { type AuthorityMetrics, createMetrics } from './metrics.js'
import { startPeriodicCheckpoints } from './periodic-checkpoint.js'
import { createPolicyReloader, type ReloadResult } from './policy-reload.js'
import { internalError, requestLogging } from './request-log.js'
import { registerCheckpointRoutes } from './routes/checkpoints.js'
import { registerDecisionRoutes } from './routes/decisions.js'
import { registerHealthRoutes } from './routes/health.js'
import { registerHoldRoutes } from './routes/holds.js'
import { registerKeyRoutes } from './routes/keys.js'
import { registerReceiptRoutes } from './routes/receipts.js'
import type { RouteContext } from './routes/route-context.js'
import { registerTransparencyRoutes } from './routes/transparency.js'

export type { ReloadResult } from './policy-reload.js'

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
   * Witnesses (c2sp.org/tlog-witness) asked to cosign each checkpoint note; their
   * cosignatures are kept with the note. Default: none.
   */
  readonly witnesses?: readonly WitnessEndpoint[]
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
  /**
   * Serve the approvals page (`/approvals`), where approvers register a passkey through a
   * one-time link and approve or reject holds with it, and the operator route that issues
   * those links (`POST /v1/approvers/:id/enrollments`).
   */
  readonly approvalsPage?: ApprovalsPageOptions
  /**
   * Serve the operator's console (`/console`): the decision timeline with a receipt
   * inspector that verifies in the browser, decision rates around policy changes, open
   * holds and the newest checkpoints. Read-only, and for operators only (their token, or
   * a session started with it on the page); an agent's token is refused.
   */
  readonly console?: ConsoleOptions | boolean
}

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

/**
 * The Writ authority as an HTTP service. Agents send proposed actions with their
 * own bearer token; the identity signed into each receipt (`sub`) comes from that
 * token, never from the request body. Receiving services fetch the public keys from
 * `/.well-known/writ/keys.json` and verify receipts offline.
 *
 * Routes: `POST /v1/decisions` (agents), `GET /.well-known/writ/keys.json` (public),
 * `GET /v1/checkpoints/latest` (public), `POST /v1/checkpoints` (operators),
 * `GET /v1/chains/:id/checkpoint`, `GET /v1/chains/:id/proof/inclusion?seq=N&size=S` and
 * `GET /v1/chains/:id/proof/consistency?from=A&to=B` (public, spec section 12),
 * `GET /v1/receipts/:jti` and `GET /v1/receipts?request=ID` (an agent its own, operators
 * all), `GET /healthz`, `GET /readyz`, `GET /metrics` (operators, unless made public).
 */
export function createAuthorityServer(options: AuthorityServerOptions): AuthorityServer {
  const { gate } = options
  const authenticate = createCredentialCheck(options.agents, options.operators ?? [])
  const metrics = createMetrics({ shadow: () => gate.shadowStats() })
  const logger = options.logger ?? silentLogger()
  const context: RouteContext = {
    gate,
    metrics,
    logger,
    limits: createAgentLimits(options.limits),
    maxBodyBytes: options.maxBodyBytes ?? 2 * 1024 * 1024,
    acceptAgentContext: options.acceptAgentContext === true,
    checkpoints: createCheckpointPublisher(gate, options.witnesses ?? [], logger),
    publicMetrics: options.metrics === 'public',
    principalOf(authorization) {
      const principal = authenticate(authorization)
      if (principal === undefined) metrics.authFailures.inc()
      return principal
    },
  }
  const app = new Hono()
  // First, so every response carries X-Request-Id and every request is logged and counted.
  app.use('*', requestLogging({ logger, metrics, identify: authenticate }))
  app.onError(internalError(logger))
  // The console remembers policies before every route, so a decision under a reloaded
  // policy finds it remembered for audit bundles.
  const mountConsole = consoleMount(app, context, options.console)
  for (const register of ROUTES) register(app, context)
  const approvals =
    options.approvalsPage === undefined
      ? undefined
      : registerApprovalsPage(app, context, options.approvalsPage)
  mountConsole?.(approvals)
  const stop =
    options.checkpointIntervalMs === undefined
      ? () => {}
      : startPeriodicCheckpoints(gate, options.checkpointIntervalMs, {
          metrics,
          logger,
          publish: context.checkpoints.publish,
        })
  const reloadPolicy = createPolicyReloader({
    gate,
    metrics,
    policyFile: options.policyFile,
    readPolicyFile: options.readPolicyFile,
  })
  return { app, metrics, reloadPolicy, stop }
}

/** Starts the console's policy memory now; the returned function mounts its page. */
function consoleMount(
  app: Hono,
  context: RouteContext,
  option: ConsoleOptions | boolean | undefined,
): ((approvals: PageContext | undefined) => void) | undefined {
  if (option === undefined || option === false) return undefined
  const policies = policyMemory(context.gate)
  app.use('*', async (_http, next) => {
    policies.remember()
    await next()
  })
  return (approvals) =>
    registerConsole(
      app,
      context,
      { approvalsPage: approvals !== undefined, ...(option === true ? {} : option) },
      approvals,
      policies,
    )
}

const ROUTES = [
  registerDecisionRoutes,
  registerKeyRoutes,
  registerCheckpointRoutes,
  registerTransparencyRoutes,
  registerReceiptRoutes,
  registerHealthRoutes,
  registerHoldRoutes,
] as const

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
