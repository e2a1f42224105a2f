import {
  createKeySet,
  createMemoryReplayCache,
  type Digest,
  decodeJws,
  digestOf,
  type HttpBinding,
  isKeySet,
  type KeySet,
  type KeySetInput,
  type ReplayCache,
  type VerifiedReceipt,
  verifyPermit,
  WritError,
} from '@writ/verify'
import { contentDigestMatches } from './content-digest.js'
import {
  defaultActionName,
  defaultHttpArgs,
  type HeaderAllowList,
  jsonTextOf,
} from './http-action.js'
import { problemResponse, problemType, type WritProblem } from './problem.js'
import { DEFAULT_MAX_BODY_BYTES, readBodyBytes } from './read-body.js'

/** Options of {@link createReceiptGuard}. */
export interface ReceiptGuardOptions {
  /** The authority's public keys: a JWK Set as published (object or JSON text), or a key set built from one. */
  readonly keys: KeySet | KeySetInput
  /**
   * This service's name as senders write it in `aud`, e.g. `https://pay.example.com`.
   * When it is an `http(s)` origin and neither `origin` nor `publicUrl` is set, a request
   * must also be addressed to that origin (its `Host` and request line), or it is refused
   * with `HTTP_MISMATCH`. With any other audience, `origin` or `publicUrl` is required
   * (the guard refuses to be built without one, code `RECEIVER_ERROR`): the `Host`
   * header alone is the sender's to choose.
   */
  readonly audience: string
  /**
   * Refuse receipts that carry no `aud`. Default `true`: a receipt for this service
   * must say so. (A gated fetch always sets `aud`, to the target origin by default.)
   */
  readonly requireAudience?: boolean
  /** Where used receipt ids are kept, so each PERMIT executes once. Default: an in-memory cache. */
  readonly replay?: ReplayCache
  /**
   * The action the receipt must name, fixed or per request. Default `http.<method>`
   * in lower case, as the gated fetch names it.
   */
  readonly action?: string | ((request: Request) => string)
  /**
   * Whether to check `act.args` too. Default: not checked; the receipt's `http` binding
   * (method, full URI, body digest) is what ties it to the request. `'http'` recomputes
   * the gated fetch's default arguments from the request received (set `allowHeaders`
   * as the sender did), so a policy decision on an allow-listed header cannot be moved
   * to a request with another value; a function returns the arguments (object or JSON
   * text) the sender's `args` option produced. A mismatch is `ARGS_MISMATCH`.
   */
  readonly args?: 'http' | ((request: Request, body: Uint8Array) => unknown)
  /** With `args: 'http'`: the sender's `allowHeaders`. */
  readonly allowHeaders?: HeaderAllowList
  /**
   * The public URL the sender addressed, when it differs from `request.url` (behind a
   * proxy or load balancer). Default: `request.url`, or `origin` with the request's
   * path and query when `origin` is set.
   */
  readonly publicUrl?: (request: Request) => string | URL
  /**
   * This service's public origin, e.g. `https://pay.example.com`. When set, the URI a
   * receipt must bind is this origin plus the request's path and query, and the
   * `Host` header the request came with is ignored.
   */
  readonly origin?: string
  /** Clock skew tolerated for `iat` and `exp`, in seconds. Default: the verifier's. */
  readonly skewSeconds?: number
  /** The most body bytes read; a larger body is refused with `BODY_TOO_LARGE` (413). Default 1 MiB. */
  readonly maxBodyBytes?: number
  /** The current time in seconds (NumericDate). Default: the system clock. */
  readonly now?: () => number
}

/** A request that carried a valid, unused PERMIT for exactly itself. */
export interface ReceiptGuardSuccess {
  readonly ok: true
  /** The verified receipt. Its `jti` is now used. */
  readonly receipt: VerifiedReceipt
  /** The body bytes, read once and checked against the receipt. */
  readonly body: Uint8Array
}

/** A refused request, with the response to send back. */
export interface ReceiptGuardFailure {
  readonly ok: false
  /** `application/problem+json` with a stable `code` (see the README table). */
  readonly response: Response
  /** The reason, for logs. */
  readonly error: WritError
}

/** What {@link ReceiptGuard} resolves with. It never rejects. */
export type ReceiptGuardResult = ReceiptGuardSuccess | ReceiptGuardFailure

/**
 * Checks one incoming request against its `Writ-Receipt`. Reads (and so consumes) the
 * request's body; the bytes are returned on success.
 */
export type ReceiptGuard = (request: Request) => Promise<ReceiptGuardResult>

/**
 * HTTP status of each refusal code on the receiving side. `RECEIPT_MISSING` is 401 (a
 * receipt is the credential the request lacks); a body too large to check is 413; a
 * replay cache that cannot answer is 503; everything else, `REPLAYED` included, is 403:
 * the request is not authorized, and sending it again as it is will not change that.
 */
export function receiverStatusOf(code: string): number {
  switch (code) {
    case 'RECEIPT_MISSING':
      return 401
    case 'BODY_TOO_LARGE':
      return 413
    case 'REPLAY_CACHE_UNAVAILABLE':
      return 503
    case 'RECEIVER_ERROR':
      return 500
    default:
      return 403
  }
}

const titles: Record<string, string> = Object.assign(Object.create(null), {
  RECEIPT_MISSING: 'Writ receipt required',
  BODY_TOO_LARGE: 'Body too large to check',
  REPLAYED: 'Writ receipt already used',
  EXPIRED: 'Writ receipt expired',
  NOT_PERMIT: 'Writ receipt does not permit this request',
  HTTP_MISMATCH: 'Writ receipt is for another request',
  ACTION_MISMATCH: 'Writ receipt is for another action',
  AUDIENCE_MISMATCH: 'Writ receipt is for another service',
  REPLAY_CACHE_UNAVAILABLE: 'Cannot check single use right now',
  RECEIVER_ERROR: 'The request could not be checked',
})

/** The problem details for a receiving-side refusal with `error`. */
export function receiverProblem(error: WritError): WritProblem {
  const status = receiverStatusOf(error.code)
  return {
    type: problemType(error.code),
    title: Object.hasOwn(titles, error.code)
      ? (titles[error.code] as string)
      : 'Invalid Writ receipt',
    status,
    detail: error.message,
    code: error.code,
    writ: 'rejected',
  }
}

/** The problem response for a receiving-side refusal; 401s carry `WWW-Authenticate: Writ`. */
export function receiverRefusal(error: WritError): Response {
  const problem = receiverProblem(error)
  return problemResponse(
    problem,
    problem.status === 401 ? { 'www-authenticate': 'Writ' } : undefined,
  )
}

/**
 * The URI a receipt must bind for `request`: `publicUrl`, else `origin` plus the
 * request's path and query, else `request.url`; the fragment never counts.
 */
export function boundUriOf(
  request: Request,
  options: Pick<ReceiptGuardOptions, 'publicUrl' | 'origin'>,
): string {
  let url: URL
  if (options.publicUrl !== undefined) {
    url = new URL(options.publicUrl(request))
  } else if (options.origin !== undefined) {
    const received = new URL(request.url)
    url = new URL(`${received.pathname}${received.search}`, options.origin)
  } else {
    url = new URL(request.url)
  }
  url.hash = ''
  return url.href
}

/**
 * Builds the receiving side's check: a function that accepts a request only if its
 * `Writ-Receipt` is an authentic, unexpired, unused PERMIT from a trusted key, meant
 * for this service (`aud`), naming the expected action, and bound to exactly this
 * request: method, full URI with query, and the SHA-256 of the body bytes received.
 * A `Content-Digest` header, when present, must match the body too. Any failure
 * resolves with a problem response and a stable code; the guard never rejects and
 * never lets an error through as an acceptance.
 *
 * The receipt's `jti` is used up only when every other check passed, so a request
 * that is refused (for example with a tampered body) does not burn its receipt.
 *
 * @example
 * ```ts
 * const guard = createReceiptGuard({ keys: jwks, audience: 'https://pay.example.com' })
 * const result = await guard(request)
 * if (!result.ok) return result.response
 * transfer(JSON.parse(new TextDecoder().decode(result.body)))
 * ```
 */
export function createReceiptGuard(options: ReceiptGuardOptions): ReceiptGuard {
  const keySet: KeySet = isKeySet(options.keys) ? options.keys : createKeySet(options.keys)
  const replay = options.replay ?? createMemoryReplayCache()
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const requireAudience = options.requireAudience ?? true
  // Without `origin` or `publicUrl` the URI checked is built from the request line and
  // the `Host` header, which the sender controls. When this service's audience is itself
  // an origin, the request must be addressed to it: else a receipt an agent obtained for
  // another host (naming this service as audience) would pass with `Host: other-host`.
  const addressedOrigin =
    options.origin === undefined && options.publicUrl === undefined
      ? originOf(options.audience)
      : undefined
  if (
    addressedOrigin === undefined &&
    options.origin === undefined &&
    options.publicUrl === undefined
  ) {
    // An audience like `payments-api` says nothing about where requests must arrive,
    // and the Host header alone is the sender's word: refuse to build such a guard.
    throw new WritError(
      'RECEIVER_ERROR',
      `audience "${options.audience}" is not an http(s) origin: set origin (this service's public origin) or publicUrl`,
      { details: { option: 'origin' } },
    )
  }

  return async function receiptGuard(request: Request): Promise<ReceiptGuardResult> {
    try {
      const token = request.headers.get('writ-receipt')
      if (token === null || token.trim() === '') {
        throw new WritError('RECEIPT_MISSING', 'this request needs a Writ-Receipt header')
      }
      const body = await readBodyBytes(request.body, maxBodyBytes)
      const contentDigest = request.headers.get('content-digest')
      if (contentDigest !== null && !(await contentDigestMatches(contentDigest, body))) {
        throw new WritError('HTTP_MISMATCH', 'the Content-Digest header does not match the body', {
          details: { field: 'content-digest' },
        })
      }
      const action =
        options.action === undefined
          ? defaultActionName(request.method)
          : typeof options.action === 'function'
            ? options.action(request)
            : options.action
      const uri = boundUriOf(request, options)
      if (addressedOrigin !== undefined && new URL(uri).origin !== addressedOrigin) {
        throw new WritError('HTTP_MISMATCH', 'the request is not addressed to this service', {
          details: { member: 'uri', expected: addressedOrigin },
        })
      }
      const http: HttpBinding = { method: request.method, uri, body: digestOf(body) }
      const receipt = await verifyPermit(token.trim(), keySet, {
        action,
        ...argsExpectation(token.trim(), request, body, http, options),
        http,
        audience: options.audience,
        requireAudience,
        replay,
        ...(options.now === undefined ? {} : { now: options.now() }),
        ...(options.skewSeconds === undefined ? {} : { skewSeconds: options.skewSeconds }),
      })
      return { ok: true, receipt, body }
    } catch (caught) {
      // Fail closed: an unexpected failure is a refusal, reported without its internals.
      const error = WritError.isInstance(caught)
        ? caught
        : new WritError('RECEIVER_ERROR', 'the request could not be checked', { cause: caught })
      return { ok: false, response: receiverRefusal(error), error }
    }
  }
}

/**
 * The origin an audience names when it is exactly an `http:` or `https:` origin (with or
 * without a trailing slash), else `undefined`.
 */
function originOf(audience: string): string | undefined {
  try {
    const url = new URL(audience)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined
    return audience === url.origin || audience === `${url.origin}/` ? url.origin : undefined
  } catch {
    return undefined
  }
}

/**
 * What `verifyPermit` compares `act.args` with. Without an `args` option the receipt's
 * own digest is passed, so only the HTTP binding ties the receipt to the request; the
 * signature over that digest is still checked by `verifyPermit`.
 */
function argsExpectation(
  token: string,
  request: Request,
  body: Uint8Array,
  http: HttpBinding,
  options: ReceiptGuardOptions,
): { args: unknown } | { argsDigest: Digest } {
  if (options.args === 'http') {
    const url = new URL(http.uri)
    const args = defaultHttpArgs(
      {
        request,
        method: request.method,
        url,
        body,
        digest: http.body,
        jsonText: jsonTextOf(request.headers.get('content-type'), body),
      },
      options.allowHeaders,
    )
    return { args }
  }
  if (typeof options.args === 'function') return { args: options.args(request, body) }
  const claims = decodeJws(token).claims as { act?: { args?: unknown } } | null
  const digest = claims?.act?.args
  // A receipt without a well-formed `act.args` fails `verifyPermit` (CLAIMS_INVALID) anyway.
  return { argsDigest: (typeof digest === 'string' ? digest : 'sha256:') as Digest }
}

/**
 * Wraps a Fetch-API handler (`(request) => Response`, as in Hono, Deno, Bun, Workers
 * or Next.js route handlers) so it runs only for requests with a valid receipt. The
 * handler gets a fresh `Request` with the same body bytes (the original's body was
 * read by the check) and the verified receipt.
 *
 * @example
 * ```ts
 * export const POST = withReceiptGuard({ keys, audience: 'https://pay.example.com' },
 *   async (request, receipt) => Response.json(await transfer(await request.json())))
 * ```
 */
export function withReceiptGuard(
  options: ReceiptGuardOptions,
  handler: (request: Request, receipt: VerifiedReceipt) => Response | Promise<Response>,
): (request: Request) => Promise<Response> {
  const guard = createReceiptGuard(options)
  return async (request) => {
    const result = await guard(request)
    if (!result.ok) return result.response
    return handler(requestWithBody(request, result.body), result.receipt)
  }
}

/** A copy of `request` whose body is `body` (the bytes the guard already read). */
export function requestWithBody(request: Request, body: Uint8Array): Request {
  const hasBody = request.method !== 'GET' && request.method !== 'HEAD'
  return new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body: hasBody ? (body as Uint8Array<ArrayBuffer>) : null,
    signal: request.signal,
  })
}
