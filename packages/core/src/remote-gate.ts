import {
  canonicalArgs,
  createKeySet,
  type JwkSet,
  type KeySet,
  type ReceiptClaims,
  verifyReceipt,
  WritError,
  type WritErrorCode,
} from '@writ/verify'
import { guardAction, wrapAction } from './gate-helpers.js'
import type { ActionRequest, Decision, Gate, InputProblem } from './types.js'

/** Options of {@link createRemoteGate}. */
export interface RemoteGateOptions {
  /** Base URL of a `writ serve` authority, e.g. `https://authority.internal`. */
  readonly url: string
  /** This agent's bearer token. The authority derives the agent identity from it. */
  readonly token: string
  /** No answer within this many milliseconds means refusal. Default 5000. */
  readonly timeoutMs?: number
  /**
   * The authority's public keys, pinned. Recommended: without them the keys are
   * fetched from the authority itself on first use (trust on first use), which is
   * allowed only over `https:` or to a loopback address, where nobody on the path
   * can substitute keys of their own.
   */
  readonly keys?: JwkSet | KeySet
  /** The `fetch` to use (tests, proxies). Default `globalThis.fetch`. */
  readonly fetch?: typeof fetch
  /** Clock in milliseconds, to check that a PERMIT is current. Default `Date.now`. */
  readonly clock?: () => number
}

/** How far in the future a PERMIT's `iat` may be, in seconds (clock skew with the authority). */
const SKEW_SECONDS = 60

/**
 * The first claim of a PERMIT that does not fit the request it answers, or `undefined`:
 * `exp` passed, `iat` in the future, `req` (when the request named one), `aud` and
 * `http` (each must be exactly what was asked, absent when not asked).
 */
function permitMismatch(
  claims: ReceiptClaims,
  request: ActionRequest,
  now: number,
): string | undefined {
  if (now > claims.exp) return 'exp'
  if (claims.iat > now + SKEW_SECONDS) return 'iat'
  if (request.request !== undefined && claims.req !== request.request) return 'req'
  if (claims.aud !== request.audience) return 'aud'
  const asked = request.http
  const bound = claims.http
  if (asked === undefined || bound === undefined) return asked === bound ? undefined : 'http'
  if (bound.method !== asked.method || bound.uri !== asked.uri || bound.body !== asked.body)
    return 'http'
  return undefined
}

/**
 * The request's members, each read exactly once, so a getter cannot send the authority
 * one value and show the checks below another.
 */
function snapshotRequest(given: ActionRequest): ActionRequest {
  const source: Partial<ActionRequest> = typeof given === 'object' && given !== null ? given : {}
  const { action, args, agent, request, context, audience, http } = source
  return {
    action: action as string,
    args,
    ...(agent === undefined ? {} : { agent }),
    ...(request === undefined ? {} : { request }),
    ...(context === undefined ? {} : { context }),
    ...(audience === undefined ? {} : { audience }),
    ...(http === undefined
      ? {}
      : {
          http:
            typeof http === 'object' && http !== null
              ? { method: http.method, uri: http.uri, body: http.body }
              : http,
        }),
  }
}

const knownCodes = new Set<string>([
  'GATE_TIMEOUT',
  'GATE_ERROR',
  'STORE_UNAVAILABLE',
  'STORE_FULL',
  'STORE_CONFLICT',
  'KEY_MISSING',
  'KEY_INVALID',
  'UNAUTHENTICATED',
  'CONTEXT_NOT_ACCEPTED',
])

/** Keys may be fetched on first use only where the transport itself is trustworthy. */
function mayFetchKeys(url: string): boolean {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return false
  }
  if (parsed.protocol === 'https:') return true
  const host = parsed.hostname.replace(/^\[|\]$/g, '')
  return (
    parsed.protocol === 'http:' && (host === 'localhost' || host === '::1' || /^127\./.test(host))
  )
}

function isKeySet(value: JwkSet | KeySet): value is KeySet {
  return typeof (value as Partial<KeySet>).get === 'function'
}

/**
 * A {@link Gate} backed by a remote authority (`writ serve`). Every adapter works
 * with it unchanged. It never trusts the answer blindly: each receipt must verify
 * under the authority's keys, and a PERMIT must name the action asked for and bind
 * the digest of exactly the arguments this process will execute with. Anything
 * else, or no answer before the deadline, is a refusal (`GATE_TIMEOUT`,
 * `AUTHORITY_UNAVAILABLE`, `AUTHORITY_RESPONSE_INVALID`), never an execution.
 *
 * @example
 * ```ts
 * const gate = createRemoteGate({ url: 'http://127.0.0.1:8787', token: process.env.WRIT_TOKEN!, keys: publishedKeys })
 * await gate.guard({ action: 'payments.transfer', args: { to: 'acme', amount: 250 } }, pay)
 * ```
 */
export function createRemoteGate(options: RemoteGateOptions): Gate {
  const base = options.url.replace(/\/+$/, '')
  if (options.keys === undefined && !mayFetchKeys(base)) {
    throw new WritError(
      'KEY_MISSING',
      "Pin the authority's public keys (option keys): fetching them over plain http from a non-loopback host would let anyone on the path sign permits.",
      { details: { option: 'keys', url: base } },
    )
  }
  const timeoutMs = options.timeoutMs ?? 5000
  const send = options.fetch ?? globalThis.fetch
  const clock = options.clock ?? Date.now
  let keySet: KeySet | undefined =
    options.keys === undefined
      ? undefined
      : isKeySet(options.keys)
        ? options.keys
        : createKeySet(options.keys)
  let published: JwkSet | undefined =
    options.keys === undefined
      ? undefined
      : isKeySet(options.keys)
        ? options.keys.toJSON()
        : options.keys

  const call = async (path: string, init: RequestInit): Promise<Response> => {
    try {
      return await send(`${base}${path}`, { ...init, signal: AbortSignal.timeout(timeoutMs) })
    } catch (error) {
      const name = (error as { name?: string } | undefined)?.name
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new WritError('GATE_TIMEOUT', `The authority did not answer within ${timeoutMs} ms`, {
          cause: error,
        })
      }
      throw new WritError('AUTHORITY_UNAVAILABLE', 'The authority could not be reached', {
        cause: error,
      })
    }
  }

  const fetchKeys = async (): Promise<KeySet> => {
    if (keySet) return keySet
    const response = await call('/.well-known/writ/keys.json', { method: 'GET' })
    if (!response.ok)
      throw new WritError(
        'AUTHORITY_UNAVAILABLE',
        `Fetching the authority's keys failed with HTTP ${response.status}`,
      )
    published = (await response.json()) as JwkSet
    keySet = createKeySet(published)
    return keySet
  }

  const authorize = async (given: ActionRequest): Promise<Decision> => {
    const request = snapshotRequest(given)
    // Bind locally what will execute. Object arguments travel as their canonical
    // text; raw text travels untouched so the authority sees duplicate keys too.
    let local: ReturnType<typeof canonicalArgs> | undefined
    try {
      local = canonicalArgs(request.args)
    } catch {
      local = undefined
    }
    let wireArgs: string
    if (typeof request.args === 'string') wireArgs = request.args
    else if (local) wireArgs = local.canonical
    else {
      try {
        wireArgs = JSON.stringify(request.args) ?? 'null'
      } catch {
        wireArgs = '\u0000unserializable'
      }
    }
    const body = JSON.stringify({
      action: request.action,
      args: wireArgs,
      ...(request.request === undefined ? {} : { request: request.request }),
      ...(request.context === undefined ? {} : { context: request.context }),
      ...(request.audience === undefined ? {} : { audience: request.audience }),
      ...(request.http === undefined ? {} : { http: request.http }),
    })
    const response = await call('/v1/decisions', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
      body,
    })
    let payload: Record<string, unknown>
    try {
      payload = (await response.json()) as Record<string, unknown>
    } catch (error) {
      throw new WritError(
        'AUTHORITY_RESPONSE_INVALID',
        `The authority answered HTTP ${response.status} without JSON`,
        { cause: error },
      )
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      throw new WritError(
        'AUTHORITY_RESPONSE_INVALID',
        `The authority answered HTTP ${response.status} without a JSON object`,
      )
    }
    if (!response.ok) {
      const code =
        typeof payload['code'] === 'string' && knownCodes.has(payload['code'])
          ? (payload['code'] as WritErrorCode)
          : 'AUTHORITY_UNAVAILABLE'
      throw new WritError(
        code,
        `The authority refused to decide (HTTP ${response.status}${typeof payload['code'] === 'string' ? `, ${payload['code']}` : ''})`,
        {
          details: { status: response.status },
        },
      )
    }
    if (typeof payload['receipt'] !== 'string')
      throw new WritError('AUTHORITY_RESPONSE_INVALID', 'The authority answered without a receipt')
    const keys = await fetchKeys()
    let verified: Awaited<ReturnType<typeof verifyReceipt>>
    try {
      verified = await verifyReceipt(payload['receipt'], keys)
    } catch (error) {
      throw new WritError(
        'AUTHORITY_RESPONSE_INVALID',
        'The receipt from the authority does not verify',
        { cause: error },
      )
    }
    const claims = verified.claims
    if (claims.act.name !== request.action) {
      throw new WritError(
        'AUTHORITY_RESPONSE_INVALID',
        'The receipt names another action than the one asked for',
      )
    }
    const base = { reason: claims.reason, rule: claims.rule, receipt: verified.token, claims }
    if (claims.decision === 'PERMIT') {
      if (!local || claims.act.args !== local.digest) {
        throw new WritError(
          'AUTHORITY_RESPONSE_INVALID',
          'The PERMIT does not bind the arguments this process would execute with',
        )
      }
      // An authentic PERMIT is not enough: it must be this request's, and current. A
      // replayed answer (an older PERMIT for the same action and arguments, one for
      // another service or another HTTP request) is refused.
      const mismatch = permitMismatch(claims, request, Math.floor(clock() / 1000))
      if (mismatch !== undefined) {
        throw new WritError(
          'AUTHORITY_RESPONSE_INVALID',
          `The PERMIT from the authority is not for this request: ${mismatch}`,
          { details: { member: mismatch } },
        )
      }
      return { ...base, decision: 'PERMIT', args: local.value }
    }
    const problem = payload['problem'] as InputProblem | undefined
    return {
      ...base,
      decision: claims.decision,
      ...(problem && typeof problem.code === 'string' ? { problem } : {}),
    }
  }

  const gate: Gate = {
    authorize,
    guard: (request, execute) => guardAction(gate, request, execute),
    wrap: (name, fn, wrapOptions) => wrapAction(gate, name, fn, wrapOptions),
    async keys() {
      await fetchKeys()
      return published as JwkSet
    },
  }
  return gate
}
