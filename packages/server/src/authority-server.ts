import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import {
  type ActionRequest,
  type CompiledPolicy,
  compilePolicy,
  type LocalGate,
  type StoredCheckpoint,
} from '@writ/core'
import { type JsonObject, parseJson, WritError } from '@writ/verify'
import { Hono } from 'hono'
import { type AgentCredential, createCredentialCheck } from './credentials.js'
import { type AuthorityMetrics, createMetrics } from './metrics.js'

/** Options of {@link createAuthorityServer}. */
export interface AuthorityServerOptions {
  /** The local gate that holds the key, the policy and the store. */
  readonly gate: LocalGate
  /** Agents allowed to ask for decisions, each with the SHA-256 of its bearer token. */
  readonly agents: readonly AgentCredential[]
  /** Where the policy came from, so {@link AuthorityServer.reloadPolicy} can read it again. */
  readonly policyFile?: string
  /** Largest request body accepted, in bytes. Default 2 MiB (arguments are capped at 1 MiB by the gate). */
  readonly maxBodyBytes?: number
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
}

/** The result of a policy reload. */
export type ReloadResult =
  | { readonly ok: true; readonly policy: CompiledPolicy }
  | { readonly ok: false; readonly error: WritError }

/** A running authority: the Hono app, its metrics and its controls. */
export interface AuthorityServer {
  /** The HTTP application (a Fetch-API handler: `app.fetch(request)`). */
  readonly app: Hono
  readonly metrics: AuthorityMetrics
  /** Reads the policy file again; on any problem keeps serving the last valid policy. */
  reloadPolicy(): Promise<ReloadResult>
  /** Stops the periodic checkpoints (the gate and its store stay open). */
  stop(): void
}

const allowedMembers = new Set(['action', 'args', 'request', 'context', 'audience', 'http'])

function problem(
  status: number,
  code: string,
  detail: string,
  extra: Record<string, unknown> = {},
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
      headers: { 'content-type': 'application/problem+json' },
    },
  )
}

function statusOf(code: string): number {
  if (code === 'GATE_TIMEOUT') return 504
  if (code.startsWith('STORE_') || code === 'KEY_MISSING' || code === 'KEY_INVALID') return 503
  return 500
}

/**
 * The Writ authority as an HTTP service. Agents send proposed actions with their
 * own bearer token; the identity signed into each receipt (`sub`) comes from that
 * token, never from the request body. Receiving services fetch the public keys from
 * `/.well-known/writ/keys.json` and verify receipts offline.
 *
 * Routes: `POST /v1/decisions`, `GET /.well-known/writ/keys.json`,
 * `GET /v1/checkpoints/latest`, `POST /v1/checkpoints`, `GET /v1/receipts/:jti`,
 * `GET /v1/receipts?request=ID`, `GET /healthz`, `GET /readyz`, `GET /metrics`.
 */
export function createAuthorityServer(options: AuthorityServerOptions): AuthorityServer {
  const { gate } = options
  const maxBodyBytes = options.maxBodyBytes ?? 2 * 1024 * 1024
  const authenticate = createCredentialCheck(options.agents)
  const metrics = createMetrics()
  const app = new Hono()

  const agentOf = (authorization: string | undefined): string | undefined =>
    credentialOf(authorization)?.agent
  const credentialOf = (authorization: string | undefined): AgentCredential | undefined => {
    const credential = authenticate(authorization)
    if (credential === undefined) metrics.authFailures.inc()
    return credential
  }

  app.post('/v1/decisions', async (context) => {
    const credential = credentialOf(context.req.header('authorization'))
    if (credential === undefined)
      return problem(401, 'UNAUTHENTICATED', 'A valid bearer token is required.')
    const agent = credential.agent
    const length = Number(context.req.header('content-length') ?? '0')
    if (length > maxBodyBytes)
      return problem(413, 'INPUT_TOO_LARGE', `The request body exceeds ${maxBodyBytes} bytes.`)
    const bytes = new Uint8Array(await context.req.arrayBuffer())
    if (bytes.byteLength > maxBodyBytes)
      return problem(413, 'INPUT_TOO_LARGE', `The request body exceeds ${maxBodyBytes} bytes.`)
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
    for (const member of Object.keys(body)) {
      if (!allowedMembers.has(member)) {
        return problem(
          400,
          'INPUT_SYNTAX',
          `Unknown member "${member}". The agent identity comes from the credential, never the body.`,
        )
      }
    }
    if (typeof body['action'] !== 'string')
      return problem(400, 'ACTION_NAME_INVALID', '"action" must be a string.')
    const agentContext = body['context']
    if (agentContext !== undefined && options.acceptAgentContext !== true) {
      return problem(
        400,
        'CONTEXT_NOT_ACCEPTED',
        'This authority does not take context from agents; policies see only what the operator set for this credential.',
      )
    }
    if (
      agentContext !== undefined &&
      (agentContext === null || typeof agentContext !== 'object' || Array.isArray(agentContext))
    ) {
      return problem(400, 'INPUT_NOT_OBJECT', '"context" must be a JSON object.')
    }
    const mergedContext =
      agentContext === undefined && credential.context === undefined
        ? undefined
        : { ...(agentContext as JsonObject | undefined), ...credential.context }
    const request: ActionRequest = {
      action: body['action'],
      args: body['args'],
      agent,
      ...(typeof body['request'] === 'string' ? { request: body['request'] } : {}),
      ...(mergedContext === undefined ? {} : { context: mergedContext }),
      ...(typeof body['audience'] === 'string' ? { audience: body['audience'] } : {}),
      ...(body['http'] && typeof body['http'] === 'object'
        ? { http: body['http'] as unknown as NonNullable<ActionRequest['http']> }
        : {}),
    }
    const started = performance.now()
    try {
      const decision = await gate.authorize(request)
      metrics.latency.observe((performance.now() - started) / 1000)
      metrics.decisions.inc({
        decision: decision.decision,
        reason: decision.reason,
        action: decision.claims.act.name,
        policy_digest: decision.claims.policy.digest,
      })
      return context.json({
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
  })

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
      return problem(
        503,
        WritError.isInstance(error) ? error.code : 'STORE_UNAVAILABLE',
        'The store is unavailable.',
      )
    }
  })

  app.post('/v1/checkpoints', async (context) => {
    if (agentOf(context.req.header('authorization')) === undefined)
      return problem(401, 'UNAUTHENTICATED', 'A valid bearer token is required.')
    try {
      const checkpoint: StoredCheckpoint = await gate.checkpoint()
      return context.json(checkpoint, 201)
    } catch (error) {
      return problem(
        503,
        WritError.isInstance(error) ? error.code : 'STORE_UNAVAILABLE',
        'No checkpoint could be issued.',
      )
    }
  })

  app.get('/v1/receipts/:jti', async (context) => {
    if (agentOf(context.req.header('authorization')) === undefined)
      return problem(401, 'UNAUTHENTICATED', 'A valid bearer token is required.')
    try {
      const stored = await gate.store.receipt(context.req.param('jti'))
      return stored
        ? context.json(stored)
        : problem(404, 'RECEIPT_MISSING', 'No receipt with that id.')
    } catch (error) {
      return problem(
        503,
        WritError.isInstance(error) ? error.code : 'STORE_UNAVAILABLE',
        'The store is unavailable.',
      )
    }
  })

  app.get('/v1/receipts', async (context) => {
    if (agentOf(context.req.header('authorization')) === undefined)
      return problem(401, 'UNAUTHENTICATED', 'A valid bearer token is required.')
    const request = context.req.query('request')
    if (!request) return problem(400, 'INPUT_SYNTAX', 'Query parameter "request" is required.')
    try {
      return context.json({ receipts: await gate.store.receiptsByRequest(request) })
    } catch (error) {
      return problem(
        503,
        WritError.isInstance(error) ? error.code : 'STORE_UNAVAILABLE',
        'The store is unavailable.',
      )
    }
  })

  app.get('/healthz', (context) => context.json({ status: 'ok' }))

  app.get('/readyz', async (context) => {
    try {
      await gate.store.head(gate.chainId)
      return context.json({
        status: 'ready',
        policy: { id: gate.policy.id, digest: gate.policy.digest },
        chain: gate.chainId,
      })
    } catch (error) {
      return problem(
        503,
        WritError.isInstance(error) ? error.code : 'STORE_UNAVAILABLE',
        'The store is not reachable.',
      )
    }
  })

  app.get('/metrics', (context) => {
    context.header('content-type', 'text/plain; version=0.0.4')
    return context.body(metrics.render())
  })

  const timer =
    options.checkpointIntervalMs === undefined
      ? undefined
      : setInterval(() => {
          gate.checkpoint().catch(() => metrics.storeErrors.inc({ code: 'CHECKPOINT' }))
        }, options.checkpointIntervalMs)
  timer?.unref()

  return {
    app,
    metrics,
    async reloadPolicy(): Promise<ReloadResult> {
      if (options.policyFile === undefined) {
        return {
          ok: false,
          error: new WritError(
            'POLICY_INVALID',
            'This server was started without a policy file to reload.',
          ),
        }
      }
      try {
        const text = await readFile(options.policyFile, 'utf8')
        const policy = compilePolicy(text, { source: options.policyFile })
        gate.setPolicy(policy)
        metrics.policyReloads.inc({ result: 'ok' })
        return { ok: true, policy }
      } catch (error) {
        metrics.policyReloads.inc({ result: 'kept-previous' })
        const failure = WritError.isInstance(error)
          ? error
          : new WritError('POLICY_INVALID', String(error), { cause: error })
        return { ok: false, error: failure }
      }
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
