import {
  type ActionRequest,
  type ApprovalMode,
  type Gate,
  type PermitDecision,
  refusalPayload,
} from '@writ/core'
import { type JsonObject, WritError } from '@writ/verify'
import { contentDigestOf } from './content-digest.js'
import {
  allowListedHeaders,
  defaultActionName,
  type HeaderAllowList,
  type HttpActionInput,
} from './http-action.js'
import { problemResponse, problemType, type WritProblem } from './problem.js'
import { DEFAULT_MAX_BODY_BYTES, readBodyBytes } from './read-body.js'

/** The header that carries the receipt, as RFC 9110 field names are case-insensitive. */
export const RECEIPT_HEADER = 'Writ-Receipt'

/** A function with exactly the shape of the global `fetch`. */
export type FetchFunction = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>

/** Something computed per request: a fixed value or a function of the request. */
export type PerRequest<T> = T | ((request: Request, input: HttpActionInput) => T)

/** Options of {@link createGatedFetch}. */
export interface GatedFetchOptions {
  /**
   * The action name policies match, fixed or per request. Default `http.<method>`
   * with the method in lower case, e.g. `http.post`.
   */
  readonly actionName?: PerRequest<string>
  /**
   * Request headers (case-insensitive names) that policies may see in `args.headers`.
   * None by default. The receiving guard must allow the same names.
   */
  readonly allowHeaders?: HeaderAllowList
  /** The agent the request is made for. Default: the gate's default agent. */
  readonly agent?: string
  /** Extra facts for policy conditions (`context`). */
  readonly context?: PerRequest<JsonObject>
  /**
   * The session the request belongs to (`ActionRequest.session`), fixed or per request:
   * `per: session` limits and `history` count within it. Set it from your run or
   * conversation id, never from anything the model writes. A remote gate sends it as a
   * signed `Writ-Session` header when created with `session` signing options.
   */
  readonly session?: PerRequest<string>
  /** The service the receipt is meant for (`aud`). Default: the target URL's origin. */
  readonly audience?: PerRequest<string>
  /** The most body bytes read and hashed; a larger body is refused with `BODY_TOO_LARGE`. Default 1 MiB. */
  readonly maxBodyBytes?: number
  /**
   * How long to wait for the gate's decision, in milliseconds. When it passes
   * without a decision the request is refused with `GATE_TIMEOUT` and never sent,
   * even if a PERMIT arrives later. Default: wait for the gate (whose own timeout applies).
   */
  readonly timeoutMs?: number
  /** The fetch that sends permitted requests. Default `globalThis.fetch`. */
  readonly fetch?: FetchFunction
  /**
   * What a refusal looks like to the caller: `'answer'` (default) resolves with a
   * `403` `application/problem+json` response (see {@link refusalProblem}); `'throw'`
   * rejects with the `WritError`.
   */
  readonly onRefusal?: 'answer' | 'throw'
  /**
   * What a request held for approval does: `{ mode: 'return' }` (default) refuses at
   * once, nothing sent, with a problem whose `hold` names the hold and the approver
   * group (ask again after approval); `{ mode: 'wait', timeoutMs }` waits for the
   * approvers, then sends on the PERMIT or refuses. `timeoutMs` of these options, when
   * set, bounds the whole wait too.
   */
  readonly approval?: ApprovalMode
}

type SendOutcome = { readonly response: Response } | { readonly failure: unknown }

/**
 * Wraps `fetch` so every request is decided by a Writ gate before it leaves.
 *
 * Per call it builds the `Request`, reads the body bytes (up to `maxBodyBytes`), and
 * asks the gate about the request itself (`httpRequest`): the gate derives from it
 * both what the policy sees and what the receipt binds (spec section 10; see
 * `httpRequestView` in `@writ/verify` for the arguments policies see). On PERMIT it
 * sends the same bytes to the normalized URI the receipt binds, with
 * `Writ-Receipt: <receipt>` and an RFC 9530 `Content-Digest`. On DENY, SILENCE or any
 * failure (the gate throws, times out, the body cannot be hashed) nothing is sent:
 * the caller gets a `403 application/problem+json` response, or the `WritError` when
 * `onRefusal` is `'throw'`. Redirects are never followed (a receipt binds one URI):
 * a 3xx comes back to the caller as it is, unless the caller asked for
 * `redirect: 'error'`.
 *
 * @example
 * ```ts
 * const gatedFetch = createGatedFetch(gate, { agent: 'billing-bot' })
 * const openai = new OpenAI({ fetch: gatedFetch })
 * const response = await gatedFetch('https://pay.example.com/v1/transfers', {
 *   method: 'POST', headers: { 'content-type': 'application/json' },
 *   body: JSON.stringify({ to: 'alice', amount: 250 }),
 * })
 * ```
 */
export function createGatedFetch(gate: Gate, options: GatedFetchOptions = {}): FetchFunction {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const refuse = (error: unknown, action: string | undefined): Response => {
    const writError = asWritError(error)
    if (options.onRefusal === 'throw') throw writError
    return problemResponse(refusalProblem(writError, action))
  }

  return async function gatedFetch(
    resource: RequestInfo | URL,
    init?: RequestInit,
  ): Promise<Response> {
    // An invalid URL or init rejects here exactly as `fetch` would; nothing is sent.
    const request = new Request(resource, withStreamDuplex(init))
    let input: HttpActionInput
    let actionRequest: ActionRequest
    try {
      input = await inputOf(request, maxBodyBytes)
      actionRequest = actionRequestOf(request, input, options)
    } catch (error) {
      return refuse(error, undefined)
    }
    let outcome: SendOutcome
    try {
      outcome = await decideAndSend(gate, actionRequest, request, input, options)
    } catch (error) {
      return refuse(error, actionRequest.action)
    }
    // A permitted request that failed in transit fails like `fetch` does.
    if ('failure' in outcome) throw outcome.failure
    return outcome.response
  }
}

/** What the gate is asked about: the method, the URL without its fragment, the body bytes. */
async function inputOf(request: Request, maxBodyBytes: number): Promise<HttpActionInput> {
  const body = await readBodyBytes(request.body, maxBodyBytes)
  const url = new URL(request.url)
  url.hash = ''
  return { request, method: request.method, url, body }
}

/**
 * Asks the gate and, on PERMIT only, sends the request the receipt binds. After
 * `timeoutMs` without a decision the request is given up, unless a PERMIT has already
 * started sending it; a PERMIT that arrives after that is refused, never sent.
 */
function decideAndSend(
  gate: Gate,
  actionRequest: ActionRequest,
  request: Request,
  input: HttpActionInput,
  options: GatedFetchOptions,
): Promise<SendOutcome> {
  const underlying = options.fetch ?? globalThis.fetch
  let permitted = false
  let abandoned = false
  const send = async (_args: unknown, decision: PermitDecision): Promise<SendOutcome> => {
    if (abandoned) throw new WritError('GATE_TIMEOUT', 'the decision came after the fetch gave up')
    permitted = true
    // guardAction (core) has checked that the receipt binds exactly this method, URI,
    // body digest and audience before calling here.
    try {
      return { response: await underlying(outgoingRequest(request, input, decision)) }
    } catch (failure) {
      return { failure }
    }
  }
  const guardOptions = options.approval === undefined ? {} : { approval: options.approval }
  return decideWithin(gate.guard(actionRequest, send, guardOptions), options.timeoutMs, () => {
    if (permitted) return false
    abandoned = true
    return true
  })
}

/** Lets a caller pass a stream body without `duplex: 'half'`, as the Fetch spec requires of `Request`. */
function withStreamDuplex(init: RequestInit | undefined): RequestInit | undefined {
  if (init?.body instanceof ReadableStream && !('duplex' in init)) {
    return { ...init, duplex: 'half' } as RequestInit
  }
  return init
}

function actionRequestOf(
  request: Request,
  input: HttpActionInput,
  options: GatedFetchOptions,
): ActionRequest {
  const action =
    options.actionName === undefined
      ? defaultActionName(input.method)
      : typeof options.actionName === 'function'
        ? options.actionName(request, input)
        : options.actionName
  const audience =
    options.audience === undefined
      ? input.url.origin
      : typeof options.audience === 'function'
        ? options.audience(request, input)
        : options.audience
  const context =
    options.context === undefined
      ? undefined
      : typeof options.context === 'function'
        ? options.context(request, input)
        : options.context
  const session =
    typeof options.session === 'function' ? options.session(request, input) : options.session
  const headers = allowListedHeaders((name) => request.headers.get(name), options.allowHeaders)
  return {
    action,
    audience,
    ...(session === undefined ? {} : { session }),
    httpRequest: {
      method: input.method,
      uri: input.url.href,
      contentType: request.headers.get('content-type'),
      ...(headers === undefined ? {} : { headers }),
      body: input.body,
    },
    ...(options.agent === undefined ? {} : { agent: options.agent }),
    ...(context === undefined ? {} : { context }),
  }
}

/**
 * The request that goes out on PERMIT: the same bytes to the normalized URI the receipt
 * binds (checked by `guard` against this process's own view of the request), plus the
 * receipt and its digest header.
 */
function outgoingRequest(
  request: Request,
  input: HttpActionInput,
  decision: PermitDecision,
): Request {
  const bound = decision.claims.http
  if (bound === undefined) {
    throw new WritError('HTTP_MISMATCH', 'The PERMIT binds no HTTP request; nothing was sent.')
  }
  const headers = new Headers(request.headers)
  headers.set(RECEIPT_HEADER, decision.receipt)
  headers.set('Content-Digest', contentDigestOf(input.body))
  const hasBody = input.method !== 'GET' && input.method !== 'HEAD' && input.body.byteLength > 0
  return new Request(bound.uri, {
    method: input.method,
    headers,
    body: hasBody ? (input.body as Uint8Array<ArrayBuffer>) : null,
    signal: request.signal,
    redirect: request.redirect === 'error' ? 'error' : 'manual',
    credentials: request.credentials,
    cache: request.cache,
    integrity: request.integrity,
    keepalive: request.keepalive,
    mode: request.mode,
    referrerPolicy: request.referrerPolicy,
  })
}

/**
 * Waits for the gate. When `timeoutMs` passes first and `giveUp()` agrees (no PERMIT
 * has started sending), rejects with `GATE_TIMEOUT`.
 */
function decideWithin<T>(
  decision: Promise<T>,
  timeoutMs: number | undefined,
  giveUp: () => boolean,
): Promise<T> {
  if (timeoutMs === undefined) return decision
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      if (giveUp()) reject(new WritError('GATE_TIMEOUT', `no decision within ${timeoutMs} ms`))
    }, timeoutMs)
    decision.then(resolve, reject).finally(() => clearTimeout(timer))
  })
}

function asWritError(error: unknown): WritError {
  if (WritError.isInstance(error)) return error
  // Fail closed: whatever broke, the request is refused and never sent.
  return new WritError('GATE_ERROR', 'the gate failed; the request was not sent', { cause: error })
}

const titles: Record<string, string> = Object.assign(Object.create(null), {
  DENY: 'Denied by policy',
  SILENCE: 'Not permitted by any rule',
  ERROR: 'Not authorized: the request could not be decided',
})

/**
 * The problem details of a refusal: RFC 9457 members, the `refusalPayload` members
 * of `@writ/core`, and an OpenAI-style `error` member so clients such as the
 * `openai` SDK surface a readable message.
 */
export function refusalProblem(error: WritError, action: string | undefined): WritProblem {
  const payload = refusalPayload(error)
  const subject = action === undefined ? 'an unnamed action' : action
  const detail = `${payload.message} The HTTP request (action ${subject}) was not sent.`
  return {
    type: problemType(error.code),
    title: titles[payload.decision] ?? 'Refused',
    status: 403,
    detail,
    code: error.code,
    writ: 'refused',
    decision: payload.decision,
    reason: payload.reason,
    rule: payload.rule,
    receipt_id: payload.receipt_id,
    receipt: payload.receipt,
    ...(payload.problems === undefined ? {} : { problems: payload.problems }),
    ...(payload.hold === undefined ? {} : { hold: payload.hold, title: 'Held for approval' }),
    error: { message: detail, type: 'writ_refused', code: error.code },
  }
}
