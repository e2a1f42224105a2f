import { IncomingMessage } from 'node:http'
import { type ActionRequest, type Decision, SESSION_HEADER } from '@writ/core'
import { type JsonObject, WritError } from '@writ/verify'
import { parseJson } from '@writ/verify/internal'
import type { Hono } from 'hono'
import type { LimitRefusal } from '../agent-limits.js'
import type { AgentCredential } from '../credentials.js'
import { type DecisionInput, readDecisionRequest } from '../decision-request.js'
import { problem, statusOf, unauthenticated } from '../problem.js'
import { readBodyWithin } from '../request-body.js'
import { noteDecision, notePrincipal } from '../request-log.js'
import { sessionOf } from '../session-check.js'
import type { RouteContext } from './route-context.js'

/** `POST /v1/decisions`: an agent asks for a decision on one proposed action. */
export function registerDecisionRoutes(app: Hono, context: RouteContext): void {
  app.post('/v1/decisions', async (http) => {
    const principal = context.principalOf(http.req.header('authorization'))
    if (principal === undefined) return unauthenticated()
    notePrincipal(http.req.raw, principal)
    if (principal.kind !== 'agent')
      return problem(403, 'AGENT_REQUIRED', 'Decisions are asked for with an agent token.')
    const slot = context.limits.acquire(principal.credential.tokenSha256)
    if (!('release' in slot)) return limited(context, slot)
    try {
      return await decide(context, http.req.raw, principal.credential, nodeRequestOf(http.env))
    } finally {
      slot.release()
    }
  })
}

function limited(context: RouteContext, refusal: LimitRefusal): Response {
  context.metrics.limited.inc({ code: refusal.code })
  return problem(
    429,
    refusal.code,
    refusal.code === 'RATE_LIMITED'
      ? 'This credential sent too many requests; try again later.'
      : 'This credential has too many decisions in flight; try again when one is answered.',
    {},
    { 'retry-after': String(refusal.retryAfterSeconds) },
  )
}

/** Node's request, when the app is served by Node (`@hono/node-server` hands it over as `env`). */
export function nodeRequestOf(env: unknown): IncomingMessage | undefined {
  const incoming = (env as { incoming?: unknown } | undefined)?.incoming
  return incoming instanceof IncomingMessage ? incoming : undefined
}

/** Reads the body → the gate's input → a decision, refusing at the first step that fails. */
async function decide(
  context: RouteContext,
  raw: Request,
  credential: AgentCredential,
  incoming: IncomingMessage | undefined,
): Promise<Response> {
  const session = sessionOf(raw.headers.get(SESSION_HEADER), credential)
  if ('status' in session) return problem(session.status, session.code, session.detail)
  const body = await readJsonObject(raw, context.maxBodyBytes, incoming)
  if (body instanceof Response) return body
  const request = readDecisionRequest(body, credential, {
    acceptAgentContext: context.acceptAgentContext,
    session: session.session,
  })
  if ('status' in request) return problem(request.status, request.code, request.detail)
  return askGate(context, raw, request)
}

/** Strict UTF-8: a body that is not UTF-8 is refused, never repaired. Holds no state between calls. */
const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * The body as a JSON object, or the problem to answer: 413 past `maxBodyBytes`, 400 for
 * anything that is not one JSON object in UTF-8.
 */
export async function readJsonObject(
  raw: Request,
  maxBodyBytes: number,
  incoming?: IncomingMessage,
): Promise<JsonObject | Response> {
  let bytes: Uint8Array
  try {
    bytes = await readBodyWithin(raw, maxBodyBytes, incoming)
  } catch (error) {
    if (WritError.isInstance(error) && error.code === 'BODY_TOO_LARGE')
      return problem(413, 'BODY_TOO_LARGE', error.message)
    return problem(400, 'INPUT_SYNTAX', 'The request body could not be read.')
  }
  try {
    const parsed = parseJson(utf8.decode(bytes), {
      maxBytes: maxBodyBytes,
      maxDepth: 80,
    })
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw new WritError('INPUT_NOT_OBJECT', 'The request body must be a JSON object.')
    return parsed
  } catch (error) {
    const code = WritError.isInstance(error) ? error.code : 'INPUT_SYNTAX'
    return problem(
      400,
      code,
      'The request body is not a valid decision request. Send arguments as a JSON string in "args" to keep them byte-exact.',
    )
  }
}

async function askGate(
  context: RouteContext,
  raw: Request,
  request: DecisionInput,
): Promise<Response> {
  const started = performance.now()
  try {
    // `action` may be absent for an HTTP action: the gate then names it itself.
    const decision = await context.gate.authorize(request as ActionRequest)
    context.metrics.latency.observe((performance.now() - started) / 1000)
    noteDecision(raw, decision)
    context.metrics.decisions.inc({
      decision: decision.decision,
      reason: decision.reason,
      action: decision.claims.act.name,
      policy_digest: decision.claims.policy.digest,
    })
    context.metrics.policyDecisions.inc({
      policy_digest: decision.claims.policy.digest,
      rule: decision.rule ?? 'none',
      decision: decision.decision,
    })
    return new Response(decisionJson(decision), { headers: JSON_HEADERS })
  } catch (error) {
    const code = WritError.isInstance(error) ? error.code : 'GATE_ERROR'
    if (code.startsWith('STORE_')) context.metrics.storeErrors.inc({ code })
    // Fails closed: no receipt could be issued, so there is nothing to execute on.
    return problem(statusOf(code), code, 'No decision could be recorded; the action must not run.')
  }
}

/**
 * The headers of a decision answer, one plain object for all of them: `@hono/node-server`
 * writes a `Response` built from a string and a plain header object straight to Node's
 * response, without a `Headers` or a body stream.
 */
const JSON_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': 'application/json',
})

/**
 * What the agent receives (decision, reason, rule, receipt, and for a refusal its problem
 * or hold) as JSON text, written from the decision's parts. The receipt is a
 * compact JWS (base64url segments joined by dots, from the gate's own signer), which JSON
 * carries as it is: it is copied in, not escaped again.
 */
export function decisionJson(decision: Decision): string {
  let text = `{"decision":${JSON.stringify(decision.decision)},"reason":${JSON.stringify(decision.reason)},"rule":${JSON.stringify(decision.rule ?? null)},"receipt":"${decision.receipt}"`
  if (decision.decision !== 'PERMIT') {
    if (decision.problem) text += `,"problem":${JSON.stringify(decision.problem)}`
    if (decision.hold) text += `,"hold":${JSON.stringify(decision.hold)}`
  }
  return `${text}}`
}
