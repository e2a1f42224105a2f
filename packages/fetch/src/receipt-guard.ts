import {
  createKeySet,
  createMemoryReplayCache,
  type HttpRequestView,
  type KeySet,
  type KeySetInput,
  type ReplayCache,
  receivedHttpRequestView,
  type VerifiedReceipt,
  verifyPermit,
  WritError,
} from '@writ/verify'
import { checkOrigin, isKeySet } from '@writ/verify/internal'
import { contentDigestMatches } from './content-digest.js'
import { allowListedHeaders, defaultActionName, type HeaderAllowList } from './http-action.js'
import { problemResponse, problemType, type WritProblem } from './problem.js'
import { DEFAULT_MAX_BODY_BYTES, readBodyBytes } from './read-body.js'

/** Options of {@link createReceiptGuard} and the framework guards built on it. */
export interface ReceiptGuardOptions {
  /** The authority's public keys: a JWK Set as published (object or JSON text), or a key set built from one. */
  readonly keys: KeySet | KeySetInput
  /**
   * This service's name as senders write it in `aud`, e.g. `https://pay.example.com`.
   * A receipt must name exactly this audience.
   */
  readonly audience: string
  /**
   * This service's public origin, e.g. `https://pay.example.com`: the URI a receipt must
   * bind is this origin plus the request target as received. The `Host` header never
   * counts (it is the sender's to choose). Default: the audience, when the audience is
   * an origin; otherwise required (the guard refuses to be built without it,
   * `RECEIVER_ERROR`).
   */
  readonly origin?: string
  /**
   * Where used receipt ids are kept, so each PERMIT executes once. Required, so that the
   * choice is visible: `'memory'` is one cache per audience for the whole process, shared
   * by every guard built with that audience (so a guard built per request, or one per
   * route, still refuses a replay); it holds for one process only (two replicas would
   * each accept the same PERMIT once). Several processes share a store's cache
   * (`createSqliteReplayCache` for one host, `createPostgresReplayCache` for many).
   */
  readonly replay: ReplayCache | 'memory'
  /**
   * The action the receipt must name, fixed or per request. Default `http.<method>`
   * in lower case, as the gated fetch names it.
   */
  readonly actionName?: string | ((request: Request) => string)
  /** Request headers policies saw in `args.headers`: the sender's `allowHeaders`. None by default. */
  readonly allowHeaders?: HeaderAllowList
  /**
   * How the router behind this guard matches paths. `'exact'` (default here and for Hono
   * and `node:http`): case and a trailing slash matter. `'lenient'` (the Express guard's
   * default, as Express ignores both unless told otherwise): only a path that reads the
   * same either way is accepted, so a deny rule on `/v1/admin` also holds for `/V1/ADMIN/`.
   */
  readonly routing?: 'exact' | 'lenient'
  /** Clock skew tolerated for `iat`, in seconds. Default: the verifier's (60). */
  readonly skewSeconds?: number
  /** The longest PERMIT lifetime accepted, in seconds: 300 at most (the default). */
  readonly maxLifetimeSeconds?: number
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
  /**
   * The request as the policy saw it (`args`, deep-frozen): run the action on
   * `view.args.body`, `view.args.query` and `view.args.path` to run exactly what was decided.
   */
  readonly view: HttpRequestView
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
 * A request as a server received it, before any framework resolved it: what every
 * guard (Fetch API, `node:http`, Express) hands to {@link ReceiptCheck}.
 */
export interface IncomingRequest {
  readonly method: string
  /** The request target exactly as received: path and query. */
  readonly target: string
  /** Every `Host` header value received. */
  readonly hostHeaders: readonly string[]
  /** One header's value, or `null`. */
  header(name: string): string | null
  /** Reads the body, up to `maxBytes` (`BODY_TOO_LARGE` beyond). */
  body(maxBytes: number): Promise<Uint8Array>
  /** A Fetch-API view of the request, for an `actionName` function. */
  asRequest(): Request
}

/** The check every guard runs on an {@link IncomingRequest}. It never rejects. */
export type ReceiptCheck = (incoming: IncomingRequest) => Promise<ReceiptGuardResult>

/**
 * HTTP status of each refusal code on the receiving side. `RECEIPT_MISSING` is 401 (a
 * receipt is the credential the request lacks); a request that cannot be read one way
 * is 400; a body too large to check is 413; a replay cache that cannot answer is 503;
 * everything else, `REPLAYED` included, is 403: the request is not authorized, and
 * sending it again as it is will not change that.
 */
export function receiverStatusOf(code: string): number {
  switch (code) {
    case 'RECEIPT_MISSING':
      return 401
    case 'HTTP_REQUEST_AMBIGUOUS':
    case 'HTTP_REQUEST_INVALID':
      return 400
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
  ARGS_MISMATCH: 'Writ receipt is for another request',
  ACTION_MISMATCH: 'Writ receipt is for another action',
  AUDIENCE_MISMATCH: 'Writ receipt is for another service',
  HTTP_REQUEST_AMBIGUOUS: 'The request can be read more than one way',
  HTTP_REQUEST_INVALID: 'The request cannot be checked',
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

/** A refusal result for `caught`; anything that is not a `WritError` is `fallback`. */
export function refusalResult(
  caught: unknown,
  fallback: 'RECEIVER_ERROR' | 'BODY_NOT_HASHABLE' = 'RECEIVER_ERROR',
): ReceiptGuardFailure {
  // Fail closed: an unexpected failure is a refusal, reported without its internals.
  const error = WritError.isInstance(caught)
    ? caught
    : new WritError(fallback, 'the request could not be checked', { cause: caught })
  return { ok: false, response: receiverRefusal(error), error }
}

/** The settings a check runs with, validated once when a guard is built. */
interface CheckSettings {
  readonly keySet: KeySet
  readonly origin: string
  readonly replay: ReplayCache
  readonly maxBodyBytes: number
}

/**
 * The caches behind `replay: 'memory'`, one per audience for the whole process. A cache
 * per guard would forget a used PERMIT whenever a guard is built anew (per request, per
 * route, per hot reload): the replay would be accepted.
 */
const processReplayCaches = new Map<string, ReplayCache>()

function processReplayCache(audience: string): ReplayCache {
  let cache = processReplayCaches.get(audience)
  if (cache === undefined) {
    cache = createMemoryReplayCache()
    processReplayCaches.set(audience, cache)
  }
  return cache
}

function settingsOf(options: ReceiptGuardOptions): CheckSettings {
  if (typeof options !== 'object' || options === null) {
    throw new WritError('RECEIVER_ERROR', 'the receipt guard needs options')
  }
  if (typeof options.audience !== 'string' || options.audience.length === 0) {
    throw new WritError('RECEIVER_ERROR', 'audience must name this service', {
      details: { option: 'audience' },
    })
  }
  const origin = options.origin ?? originOf(options.audience)
  if (origin === undefined) {
    throw new WritError(
      'RECEIVER_ERROR',
      `audience "${options.audience}" is not an http(s) origin: set origin (this service's public origin)`,
      { details: { option: 'origin' } },
    )
  }
  const replay = options.replay
  if (
    replay !== 'memory' &&
    typeof (replay as Partial<ReplayCache> | undefined)?.claim !== 'function'
  ) {
    throw new WritError(
      'RECEIVER_ERROR',
      "replay must be a replay cache, or 'memory' for a single process",
      { details: { option: 'replay' } },
    )
  }
  return {
    keySet: isKeySet(options.keys) ? options.keys : createKeySet(options.keys),
    origin: checkOrigin(origin),
    replay: replay === 'memory' ? processReplayCache(options.audience) : replay,
    maxBodyBytes: options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
  }
}

/** The origin an audience names when it is exactly an `http:` or `https:` origin, else `undefined`. */
function originOf(audience: string): string | undefined {
  try {
    return checkOrigin(audience)
  } catch {
    return undefined
  }
}

/**
 * Builds the one check behind every receiving guard: a request is accepted only if its
 * `Writ-Receipt` is an authentic, current, unused PERMIT from a trusted key, meant for
 * this service (`aud`), naming the expected action, and for exactly the request the
 * policy saw: the view this service derives from what it received (origin, target,
 * content type, allow-listed headers, body) equals the one the authority derived
 * (spec section 10), both its arguments (`act.args`) and its binding (`http`). A
 * request that could be read two ways is refused (`HTTP_REQUEST_AMBIGUOUS`). A
 * `Content-Digest` header, when present, must match the body too. The receipt's `jti`
 * is used up only when every other check passed.
 */
export function createReceiptCheck(options: ReceiptGuardOptions): ReceiptCheck {
  const settings = settingsOf(options)
  return async function receiptCheck(incoming: IncomingRequest): Promise<ReceiptGuardResult> {
    try {
      const token = incoming.header('writ-receipt')?.trim()
      if (token === undefined || token === '') {
        throw new WritError('RECEIPT_MISSING', 'this request needs a Writ-Receipt header')
      }
      const body = await incoming.body(settings.maxBodyBytes)
      const contentDigest = incoming.header('content-digest')
      if (contentDigest !== null && !(await contentDigestMatches(contentDigest, body))) {
        throw new WritError('HTTP_MISMATCH', 'the Content-Digest header does not match the body', {
          details: { field: 'content-digest' },
        })
      }
      const view = receivedHttpRequestView(
        {
          method: incoming.method,
          target: incoming.target,
          hostHeaders: incoming.hostHeaders,
          contentType: incoming.header('content-type'),
          headers: allowListedHeaders((name) => incoming.header(name), options.allowHeaders),
          body,
        },
        {
          origin: settings.origin,
          routing: options.routing ?? 'exact',
          maxBodyBytes: settings.maxBodyBytes,
        },
      )
      const action =
        options.actionName === undefined
          ? defaultActionName(incoming.method)
          : typeof options.actionName === 'function'
            ? options.actionName(incoming.asRequest())
            : options.actionName
      const receipt = await verifyPermit(token, settings.keySet, {
        action,
        argsDigest: view.argsDigest,
        http: view.binding,
        audience: options.audience,
        replay: settings.replay,
        ...(options.now === undefined ? {} : { now: options.now() }),
        ...(options.skewSeconds === undefined ? {} : { skewSeconds: options.skewSeconds }),
        ...(options.maxLifetimeSeconds === undefined
          ? {}
          : { maxLifetimeSeconds: options.maxLifetimeSeconds }),
      })
      return { ok: true, receipt, body, view }
    } catch (caught) {
      return refusalResult(caught)
    }
  }
}

/**
 * The {@link IncomingRequest} of a Fetch-API `Request`. Its target is the path and query
 * of `request.url`, which is what Fetch-API routers (Hono and others) dispatch on.
 */
export function incomingOfRequest(request: Request): IncomingRequest {
  const url = new URL(request.url)
  const host = request.headers.get('host')
  return {
    method: request.method,
    target: `${url.pathname}${url.search}`,
    // Fetch joins repeated headers with ", ", which the Host check refuses.
    hostHeaders: host === null ? [] : [host],
    header: (name) => request.headers.get(name),
    body: (maxBytes) => readBodyBytes(request.body, maxBytes),
    asRequest: () => request,
  }
}

/**
 * Builds the receiving side's check for Fetch-API requests: see {@link createReceiptCheck}.
 * Any failure resolves with a problem response and a stable code; the guard never
 * rejects and never lets an error through as an acceptance.
 *
 * @example
 * ```ts
 * const guard = createReceiptGuard({ keys: jwks, audience: 'https://pay.example.com', replay: 'memory' })
 * const result = await guard(request)
 * if (!result.ok) return result.response
 * transfer(result.view.args.body)
 * ```
 */
export function createReceiptGuard(options: ReceiptGuardOptions): ReceiptGuard {
  const check = createReceiptCheck(options)
  return (request) => check(incomingOfRequest(request))
}

/**
 * Wraps a Fetch-API handler (`(request) => Response`, as in Hono, Deno, Bun, Workers
 * or Next.js route handlers) so it runs only for requests with a valid receipt. The
 * handler gets a fresh `Request` with the same body bytes (the original's body was
 * read by the check) and the verified receipt.
 *
 * @example
 * ```ts
 * export const POST = withReceiptGuard({ keys, audience: 'https://pay.example.com', replay },
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
