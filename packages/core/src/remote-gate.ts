import {
  type CanonicalArgs,
  canonicalArgs,
  checkPermit,
  createKeySet,
  createMemoryReplayCache,
  type HttpRequestInput,
  type HttpRequestView,
  httpRequestView,
  type JwkSet,
  type KeySet,
  type ReceiptClaims,
  type VerifiedReceipt,
  verifyReceipt,
  WritError,
  type WritErrorCode,
} from '@writ/verify'
import { base64UrlEncode, isKeySet } from '@writ/verify/internal'
import type { HoldInfo, HoldView } from './approvals/hold-types.js'
import { guardAction, issuedPermits, wrapAction } from './gate-helpers.js'
import { defaultHttpAction } from './http-action-name.js'
import { decodeSessionKey, SESSION_ID_PATTERN, sessionHeader } from './session-header.js'
import type {
  ActionRequest,
  Decision,
  Gate,
  HoldReader,
  InputProblem,
  PermitDecision,
} from './types.js'
import { createUuidV7Generator } from './uuid-v7.js'

/** Options of {@link createRemoteGate}. */
export interface RemoteGateOptions {
  /** Base URL of a `writ serve` authority, e.g. `https://authority.internal`. */
  readonly url: string
  /** This agent's bearer token. The authority derives the agent identity from it. */
  readonly token: string
  /** One deadline for a whole decision (key fetches included), in milliseconds. Default 5000. */
  readonly timeoutMs?: number
  /**
   * The authority's public keys, pinned. Recommended: without them the keys are
   * fetched from the authority itself (and fetched again when a receipt names a key
   * not seen yet, after a rotation), which is allowed only over `https:` or to a
   * loopback address, where nobody on the path can substitute keys of their own.
   */
  readonly keys?: JwkSet | KeySet
  /** The `fetch` to use (tests, proxies). Default `globalThis.fetch`. */
  readonly fetch?: typeof fetch
  /** Clock in milliseconds, to check that a PERMIT is current. Default `Date.now`. */
  readonly clock?: () => number
  /**
   * Lets one credential run many sessions: with it, a request's
   * {@link ActionRequest.session} (or `id` here, for requests that name none) is sent as
   * a signed `Writ-Session` header (see {@link sessionHeader}), and the authority counts
   * `per: session` limits and `history` in that session. Without it, or for a request
   * without a session, the authority uses the credential's own session. A session id
   * the header cannot carry is refused with `SESSION_INVALID`, nothing sent.
   */
  readonly session?: RemoteSessionOptions
}

/** How a remote gate signs the sessions of its requests ({@link RemoteGateOptions.session}). */
export interface RemoteSessionOptions {
  /** The agent id the authority knows this token as (its `agent` in the agents file). */
  readonly agentId: string
  /** The agent's `sessionKey` from the agents file. Keep it from the model, as the token. */
  readonly sessionKey: string
  /** The session of requests that name none. Default: none (the credential's session). */
  readonly id?: string
}

/** Error codes the authority answers with that keep their meaning on this side. */
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
  'AUDIENCE_NOT_ALLOWED',
  'SESSION_INVALID',
  'SESSION_NOT_ACCEPTED',
  'RATE_LIMITED',
  'CONCURRENCY_LIMITED',
  'BODY_TOO_LARGE',
])

/**
 * True when `url` is `https:`, or `http:` to a loopback address: `localhost`, `[::1]` or
 * an IPv4 address in 127.0.0.0/8, read from the parsed address (never a name that merely
 * starts with `127.`).
 */
export function isTrustedKeyLocation(url: string): boolean {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return false
  }
  if (parsed.protocol === 'https:') return true
  if (parsed.protocol !== 'http:') return false
  const host = parsed.hostname
  if (host === 'localhost' || host === '[::1]') return true
  // WHATWG URL rewrites every IPv4 spelling (127.1, 0x7f.1, 2130706433) to dotted quad.
  const quad = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host)
  return quad !== null && quad[1] === '127'
}

function optionError(option: string, message: string): WritError {
  return new WritError('GATE_ERROR', message, { details: { option } })
}

/** Validates the options; every problem is `GATE_ERROR` naming the option. */
function checkOptions(options: RemoteGateOptions): void {
  if (typeof options !== 'object' || options === null) {
    throw optionError('options', 'createRemoteGate needs options { url, token }.')
  }
  let url: URL | undefined
  try {
    url = new URL(options.url)
  } catch {
    url = undefined
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw optionError('url', 'url must be the http(s) URL of a writ authority.')
  }
  if (typeof options.token !== 'string' || !/^[\x21-\x7e]{16,512}$/.test(options.token)) {
    throw optionError('token', 'token must be 16 to 512 printable characters.')
  }
  const { timeoutMs, fetch: send, clock, keys } = options
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw optionError('timeoutMs', 'timeoutMs must be a positive number of milliseconds.')
  }
  if (send !== undefined && typeof send !== 'function')
    throw optionError('fetch', 'fetch must be a function.')
  if (clock !== undefined && typeof clock !== 'function')
    throw optionError('clock', 'clock must be a function.')
  checkSessionOption(options.session)
  if (keys === undefined && !isTrustedKeyLocation(options.url)) {
    throw new WritError(
      'KEY_MISSING',
      "Pin the authority's public keys (option keys): fetching them over plain http from a non-loopback host would let anyone on the path sign permits.",
      { details: { option: 'keys', url: options.url } },
    )
  }
}

/** The session signing material: a key that decodes, an agent id, a well-formed default id. */
function checkSessionOption(session: RemoteSessionOptions | undefined): void {
  if (session === undefined) return
  if (typeof session !== 'object' || session === null)
    throw optionError('session', 'session must be { agentId, sessionKey, id? }.')
  if (typeof session.agentId !== 'string' || session.agentId === '')
    throw optionError('session', 'session.agentId must be the agent id of the token.')
  if (decodeSessionKey(session.sessionKey) === undefined)
    throw optionError('session', 'session.sessionKey must be base64url of 32 or more bytes.')
  if (session.id !== undefined && !SESSION_ID_PATTERN.test(session.id))
    throw optionError('session', 'session.id must be 1 to 128 of A-Z a-z 0-9 . _ -.')
}

/** The headers of a decision request: the token, and the signed session when there is one. */
async function decisionHeaders(
  options: RemoteGateOptions,
  request: ActionRequest,
): Promise<Record<string, string>> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    authorization: `Bearer ${options.token}`,
  }
  const signing = options.session
  const id = request.session ?? signing?.id
  if (signing === undefined || id === undefined) return headers
  headers['writ-session'] = await sessionHeader({
    agentId: signing.agentId,
    sessionKey: signing.sessionKey,
    id,
  })
  return headers
}

/** Standard base64 with padding (RFC 4648 section 4), as the decision API takes bodies. */
function base64Of(bytes: Uint8Array): string {
  const url = base64UrlEncode(bytes).replace(/-/g, '+').replace(/_/g, '/')
  return url + '='.repeat((4 - (url.length % 4)) % 4)
}

/** What this process will execute with, derived here before the authority answers. */
interface LocalBinding {
  /** The canonical arguments, when they are valid input. */
  readonly args: CanonicalArgs | undefined
  /** For an HTTP action, the one view of the request, when it can be read. */
  readonly http: HttpRequestView | undefined
  /** Why the input is refused here, when it is. */
  readonly problem: InputProblem | undefined
}

function problemOf(error: unknown): InputProblem {
  if (!WritError.isInstance(error)) {
    return { code: 'INPUT_UNSUPPORTED_TYPE', message: 'The input could not be read.' }
  }
  const path = error.details?.['path']
  return {
    code: error.code,
    message: error.message,
    ...(typeof path === 'string' ? { path } : {}),
  }
}

function bindLocally(request: ActionRequest): LocalBinding {
  try {
    if (request.httpRequest !== undefined) {
      if (request.args !== undefined) {
        throw new WritError('INPUT_SYNTAX', 'An HTTP action takes no args besides httpRequest.', {
          details: { path: 'args' },
        })
      }
      return { args: undefined, http: httpRequestView(request.httpRequest), problem: undefined }
    }
    return { args: canonicalArgs(request.args), http: undefined, problem: undefined }
  } catch (error) {
    return { args: undefined, http: undefined, problem: problemOf(error) }
  }
}

/** Text that no strict JSON reader accepts: refused input still gets its DENY receipt. */
const UNREADABLE_ARGS = '\u0000 arguments refused by the agent-side client'

/** The decision request body. Members are read from the snapshot taken once. */
function wireBody(request: ActionRequest, local: LocalBinding, requestId: string): string {
  const action =
    request.action === undefined
      ? defaultHttpAction(request.httpRequest)
      : typeof request.action === 'string'
        ? request.action
        : '(action name is not a string)'
  const body: Record<string, unknown> = { action, request: requestId }
  if (request.httpRequest !== undefined && request.args === undefined) {
    const { method, uri, contentType, headers, body: bytes } = request.httpRequest
    body['httpRequest'] = {
      method,
      uri,
      ...(contentType === undefined || contentType === null ? {} : { contentType }),
      ...(headers === undefined ? {} : { headers }),
      ...(bytes instanceof Uint8Array && bytes.byteLength > 0 ? { body: base64Of(bytes) } : {}),
    }
  } else {
    // Raw text travels untouched (the authority sees duplicate keys too); an object
    // travels as its canonical text, or as unreadable text when it is not valid input.
    body['args'] =
      typeof request.args === 'string'
        ? request.args
        : local.args !== undefined
          ? local.args.canonical
          : UNREADABLE_ARGS
  }
  if (request.context !== undefined) body['context'] = request.context
  if (request.audience !== undefined) body['audience'] = request.audience
  if (request.refs !== undefined) body['refs'] = request.refs
  return JSON.stringify(body)
}

/**
 * The request's members, each read exactly once, so a getter cannot send the authority
 * one value and show the checks another.
 */
function snapshotRequest(given: ActionRequest): ActionRequest {
  const source: Partial<ActionRequest> = typeof given === 'object' && given !== null ? given : {}
  const { action, args, agent, request, context, audience, refs, httpRequest, session } = source
  let http: HttpRequestInput | undefined
  if (typeof httpRequest === 'object' && httpRequest !== null) {
    const { method, uri, contentType, headers, body } = httpRequest
    http = { method, uri, contentType, headers, body }
  } else if (httpRequest !== undefined) {
    http = httpRequest
  }
  return {
    action: action as string,
    ...(args === undefined ? {} : { args }),
    ...(agent === undefined ? {} : { agent }),
    ...(request === undefined ? {} : { request }),
    ...(context === undefined ? {} : { context }),
    ...(audience === undefined ? {} : { audience }),
    ...(refs === undefined ? {} : { refs }),
    ...(http === undefined ? {} : { httpRequest: http }),
    ...(session === undefined ? {} : { session }),
  }
}

function invalidResponse(message: string, cause?: unknown, member?: string): WritError {
  return new WritError('AUTHORITY_RESPONSE_INVALID', message, {
    ...(cause === undefined ? {} : { cause }),
    ...(member === undefined ? {} : { details: { member } }),
  })
}

/** The authority's answer as JSON, or the refusal it stands for. */
async function readAnswer(
  response: Response,
  deadline: AbortSignal,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  let payload: unknown
  try {
    payload = await response.json()
  } catch (error) {
    if (deadline.aborted) {
      throw new WritError('GATE_TIMEOUT', `The authority did not answer within ${timeoutMs} ms`, {
        cause: error,
      })
    }
    throw invalidResponse(`The authority answered HTTP ${response.status} without JSON`, error)
  }
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    throw invalidResponse(`The authority answered HTTP ${response.status} without a JSON object`)
  }
  const answer = payload as Record<string, unknown>
  if (!response.ok) {
    const given = answer['code']
    const code =
      typeof given === 'string' && knownCodes.has(given)
        ? (given as WritErrorCode)
        : 'AUTHORITY_UNAVAILABLE'
    throw new WritError(
      code,
      `The authority refused to decide (HTTP ${response.status}${typeof given === 'string' ? `, ${given}` : ''})`,
      { details: { status: response.status } },
    )
  }
  if (typeof answer['receipt'] !== 'string') {
    throw invalidResponse('The authority answered without a receipt')
  }
  return answer
}

/**
 * A {@link Gate} backed by a remote authority (`writ serve`). Every adapter works
 * with it unchanged, and it behaves as a local gate does: invalid input resolves to
 * the authority's DENY `INPUT_INVALID` receipt, never to an error. It never trusts the
 * answer blindly: each receipt must verify under the authority's keys, and a PERMIT
 * must pass the one permit check of `@writ/verify` against what this process will
 * execute: this action, the digest of exactly these arguments (for an HTTP action, the
 * view this process derives from the request), this `aud`, the fresh request id sent
 * with this call, current and of a bounded lifetime. A PERMIT whose `jti` this gate has
 * seen before is refused (a replayed answer). Anything else, or no answer before the
 * deadline, is a refusal (`GATE_TIMEOUT`, `AUTHORITY_UNAVAILABLE`,
 * `AUTHORITY_RESPONSE_INVALID`), never an execution.
 *
 * @example
 * ```ts
 * const gate = createRemoteGate({ url: 'http://127.0.0.1:8787', token: process.env.WRIT_TOKEN!, keys: publishedKeys })
 * await gate.guard({ action: 'payments.transfer', args: { to: 'acme', amount: 250 } }, pay)
 * ```
 */
export function createRemoteGate(options: RemoteGateOptions): Gate {
  checkOptions(options)
  const base = options.url.replace(/\/+$/, '')
  const timeoutMs = options.timeoutMs ?? 5000
  const send = options.fetch ?? globalThis.fetch
  const clock = options.clock ?? Date.now
  const nextRequestId = createUuidV7Generator(clock)
  const seen = createMemoryReplayCache({ now: () => Math.floor(clock() / 1000) })
  const keys = createKeySource(options, base, send, timeoutMs)

  const authorize = async (given: ActionRequest): Promise<Decision> => {
    const request = snapshotRequest(given)
    if (request.agent !== undefined) {
      throw new WritError(
        'AGENT_NOT_ACCEPTED',
        'A remote authority takes the agent from its token; remove agent from the request.',
        { details: { path: 'agent' } },
      )
    }
    const headers = await decisionHeaders(options, request)
    const deadline = AbortSignal.timeout(timeoutMs)
    const local = bindLocally(request)
    const requestId = request.request ?? nextRequestId()
    const response = await call(send, `${base}/v1/decisions`, timeoutMs, deadline, {
      method: 'POST',
      headers,
      body: wireBody(request, local, requestId),
    })
    const answer = await readAnswer(response, deadline, timeoutMs)
    const verified = await keys.verify(answer['receipt'] as string, deadline)
    const claims = verified.claims
    const common = { reason: claims.reason, rule: claims.rule, receipt: verified.token, claims }
    if (claims.decision !== 'PERMIT') {
      const problem = local.problem ?? (answer['problem'] as InputProblem | undefined)
      const hold = holdOf(claims)
      return {
        ...common,
        decision: claims.decision,
        ...(problem && typeof problem.code === 'string' ? { problem } : {}),
        ...(hold === undefined ? {} : { hold }),
      }
    }
    const permit = await checkAnswer(request, local, requestId, verified, clock, seen)
    issuedPermits.add(permit)
    return permit
  }

  const holds = remoteHoldReader(send, base, options.token, timeoutMs)

  const gate: Gate = {
    authorize,
    holds,
    guard: (request, execute, guardOptions) => guardAction(gate, request, execute, guardOptions),
    wrap: (name, fn, wrapOptions) => wrapAction(gate, name, fn, wrapOptions),
    keys: () => keys.published(AbortSignal.timeout(timeoutMs)),
  }
  return gate
}

/**
 * Reads holds from the authority (`GET /v1/holds/:id`, with the agent's token), only to
 * know when to ask again: the answer to that ask is verified like any other.
 */
function remoteHoldReader(
  send: typeof fetch,
  base: string,
  token: string,
  timeoutMs: number,
): HoldReader {
  return {
    async get(id) {
      const deadline = AbortSignal.timeout(timeoutMs)
      const response = await call(
        send,
        `${base}/v1/holds/${encodeURIComponent(id)}`,
        timeoutMs,
        deadline,
        {
          headers: { authorization: `Bearer ${token}` },
        },
      )
      if (response.status === 404) return undefined
      const view = (await readHold(response, deadline, timeoutMs)) as unknown as HoldView
      return view.id === id ? view : undefined
    },
  }
}

/**
 * The hold a verified SILENCE `APPROVAL_REQUIRED` receipt names, from its signed claims
 * only: the opening receipt's `jti` is the hold id, a later one names it in `hold.id`.
 */
function holdOf(claims: ReceiptClaims): HoldInfo | undefined {
  const hold = claims.hold
  if (claims.decision !== 'SILENCE' || typeof hold !== 'object' || hold === null) return undefined
  return Object.freeze({
    id: hold.id ?? claims.jti,
    group: hold.approvers,
    quorum: hold.quorum,
    exp: hold.exp,
  })
}

async function readHold(
  response: Response,
  deadline: AbortSignal,
  timeoutMs: number,
): Promise<Record<string, unknown>> {
  if (!response.ok) {
    throw new WritError(
      'AUTHORITY_UNAVAILABLE',
      `The authority answered HTTP ${response.status} for a hold`,
    )
  }
  try {
    const view = (await response.json()) as unknown
    if (typeof view === 'object' && view !== null && !Array.isArray(view))
      return view as Record<string, unknown>
  } catch (error) {
    if (deadline.aborted)
      throw new WritError('GATE_TIMEOUT', `The authority did not answer within ${timeoutMs} ms`, {
        cause: error,
      })
  }
  throw invalidResponse('The authority answered a hold without a JSON object')
}

/** A PERMIT from the authority, checked against what this process will execute. */
async function checkAnswer(
  request: ActionRequest,
  local: LocalBinding,
  requestId: string,
  verified: VerifiedReceipt,
  clock: () => number,
  seen: ReturnType<typeof createMemoryReplayCache>,
): Promise<PermitDecision> {
  const claims: ReceiptClaims = verified.claims
  const bound = local.http ?? local.args
  if (bound === undefined) {
    throw invalidResponse('The authority permitted input this process refuses', undefined, 'args')
  }
  const argsDigest =
    local.http !== undefined ? local.http.argsDigest : (local.args as CanonicalArgs).digest
  try {
    checkPermit(claims, {
      action: (request.action ?? defaultHttpAction(request.httpRequest)) as string,
      argsDigest,
      ...(local.http === undefined ? {} : { http: local.http.binding }),
      ...(request.audience === undefined ? {} : { audience: request.audience }),
      request: requestId,
      now: Math.floor(clock() / 1000),
    })
  } catch (error) {
    const member = WritError.isInstance(error) ? error.code : 'UNKNOWN'
    throw invalidResponse('The PERMIT from the authority is not for this request', error, member)
  }
  if (!seen.claim(claims.jti, claims.exp)) {
    throw invalidResponse(
      'The authority answered with a PERMIT it had already given',
      undefined,
      'jti',
    )
  }
  const args = local.http !== undefined ? local.http.args : (local.args as CanonicalArgs).value
  return Object.freeze({
    decision: 'PERMIT',
    reason: claims.reason,
    rule: claims.rule,
    receipt: verified.token,
    claims,
    args,
  })
}

/** One HTTP call under the call's deadline; transport failures become refusals. */
async function call(
  send: typeof fetch,
  url: string,
  timeoutMs: number,
  deadline: AbortSignal,
  init: RequestInit,
): Promise<Response> {
  try {
    return await send(url, { ...init, signal: deadline })
  } catch (error) {
    if (deadline.aborted) {
      throw new WritError('GATE_TIMEOUT', `The authority did not answer within ${timeoutMs} ms`, {
        cause: error,
      })
    }
    throw new WritError('AUTHORITY_UNAVAILABLE', 'The authority could not be reached', {
      cause: error,
    })
  }
}

/** A key set and the JWK Set it was made of. */
interface LoadedKeys {
  readonly set: KeySet
  readonly jwks: JwkSet
}

function pinnedKeys(pinned: JwkSet | KeySet): LoadedKeys {
  return isKeySet(pinned)
    ? { set: pinned, jwks: pinned.toJSON() }
    : { set: createKeySet(pinned), jwks: pinned }
}

/** The authority's published keys. @throws WritError `AUTHORITY_UNAVAILABLE` */
async function fetchKeys(
  send: typeof fetch,
  base: string,
  timeoutMs: number,
  deadline: AbortSignal,
): Promise<LoadedKeys> {
  const url = `${base}/.well-known/writ/keys.json`
  const response = await call(send, url, timeoutMs, deadline, { method: 'GET' })
  if (!response.ok) {
    throw new WritError(
      'AUTHORITY_UNAVAILABLE',
      `Fetching the authority's keys failed with HTTP ${response.status}`,
    )
  }
  const jwks = (await response.json()) as JwkSet
  return { set: createKeySet(jwks), jwks }
}

async function verifyWith(token: string, set: KeySet): Promise<VerifiedReceipt> {
  try {
    return await verifyReceipt(token, set)
  } catch (error) {
    throw invalidResponse('The receipt from the authority does not verify', error)
  }
}

interface KeySource {
  /** Verifies a receipt, fetching the key set again once when it names an unknown key. */
  verify(token: string, deadline: AbortSignal): Promise<VerifiedReceipt>
  published(deadline: AbortSignal): Promise<JwkSet>
}

/**
 * The authority's keys: pinned, or fetched from the authority and fetched again when a
 * receipt names a key not in the set (a rotation), with one fetch in flight at a time.
 */
function createKeySource(
  options: RemoteGateOptions,
  base: string,
  send: typeof fetch,
  timeoutMs: number,
): KeySource {
  const pinned = options.keys
  let current: LoadedKeys | undefined = pinned === undefined ? undefined : pinnedKeys(pinned)
  let inFlight: Promise<LoadedKeys> | undefined

  const load = (deadline: AbortSignal): Promise<LoadedKeys> => {
    inFlight ??= fetchKeys(send, base, timeoutMs, deadline)
      .then((loaded) => {
        current = loaded
        return loaded
      })
      .finally(() => {
        inFlight = undefined
      })
    return inFlight
  }

  return {
    async verify(token, deadline) {
      const keys = current ?? (await load(deadline))
      try {
        return await verifyWith(token, keys.set)
      } catch (error) {
        const cause = (error as { cause?: unknown }).cause
        const unknownKey = WritError.isInstance(cause) && cause.code === 'KEY_UNKNOWN'
        if (pinned !== undefined || !unknownKey) throw error
        return verifyWith(token, (await load(deadline)).set)
      }
    },
    async published(deadline) {
      return (current ?? (await load(deadline))).jwks
    },
  }
}
