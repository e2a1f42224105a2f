/**
 * One request, one view (receipt spec section 10). The authority derives what a policy
 * sees and what a receipt binds from the request itself; the receiving service derives
 * the same from what it received, with this same code, and executes only when the two
 * are equal. A request that two readers could read differently is refused, never
 * guessed at.
 */
import { canonicalArgs } from './canonical-args.js'
import { digestOf } from './digest.js'
import { WritError } from './errors.js'
import { type JsonLimits, parseJson } from './json.js'
import type { Digest, HttpBinding, JsonObject, JsonValue } from './types.js'

/** An HTTP request as its sender addresses it: what the authority is asked about. */
export interface HttpRequestInput {
  /** The method, upper case, e.g. `POST`. */
  readonly method: string
  /** The absolute target URI, `http:` or `https:`, with its query. A fragment is dropped. */
  readonly uri: string
  /** The `Content-Type` header as sent, or `null`/absent when there is none. */
  readonly contentType?: string | null | undefined
  /**
   * Headers policies may see, by lower-case name (the allow-listed ones only: sender and
   * receiver must allow the same names, or the two views differ).
   */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** The exact body bytes (empty or absent when there is none). */
  readonly body?: Uint8Array | undefined
}

/** What {@link httpRequestView} derives from a request. */
export interface HttpRequestView {
  /** What policies see as `args` (frozen). See {@link httpRequestView} for the members. */
  readonly args: Readonly<JsonObject>
  /** `act.args`: the digest of the canonical form of {@link HttpRequestView.args}. */
  readonly argsDigest: Digest
  /** The receipt's `http` claim: method, normalized URI with query, digest of the body bytes. */
  readonly binding: HttpBinding
}

/** Options of {@link httpRequestView}. */
export interface HttpRequestViewOptions {
  /** The most body bytes accepted. Default 1 MiB. */
  readonly maxBodyBytes?: number
  /** Depth and size bounds for the derived arguments. */
  readonly limits?: JsonLimits
}

/** Longest target URI accepted, in characters. */
export const MAX_URI_LENGTH = 8192
const DEFAULT_MAX_BODY = 1024 * 1024
const MAX_HEADERS = 32

function invalid(message: string, member: string): WritError {
  return new WritError('HTTP_REQUEST_INVALID', message, { details: { path: member } })
}

function ambiguous(message: string, member: string): WritError {
  return new WritError('HTTP_REQUEST_AMBIGUOUS', message, { details: { path: member } })
}

const UNRESERVED = /^[A-Za-z0-9\-._~]$/
// RFC 3986 pchar without pct-encoded: unreserved, sub-delims, ":" and "@".
const PATH_CHAR = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/]$/
// Query characters: pchar, "/" and "?".
// (`'` is encoded: the WHATWG URL parser encodes it in the queries of http(s) URLs.)
const QUERY_CHAR = /^[A-Za-z0-9\-._~!$&()*+,;=:@/?]$/

/**
 * Normalizes the percent-encoding of a path or query (RFC 3986 §6.2.2): encodings of
 * unreserved characters are decoded, other encodings are written with upper-case hex,
 * and printable characters that may not stand raw are encoded. Encoded `/` and `\`
 * in a path are refused: routers disagree about whether they separate segments.
 */
function normalizeEncoding(text: string, allowed: RegExp, inPath: boolean, member: string): string {
  let out = ''
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index] as string
    if (char === '%') {
      const hex = text.slice(index + 1, index + 3)
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw invalid(`a malformed percent-encoding`, member)
      const code = Number.parseInt(hex, 16)
      const decoded = String.fromCharCode(code)
      if (inPath && (decoded === '/' || decoded === '\\')) {
        throw ambiguous('an encoded "/" or "\\" in the path', member)
      }
      out += code < 0x80 && UNRESERVED.test(decoded) ? decoded : `%${hex.toUpperCase()}`
      index += 2
    } else if (char === '\\') {
      throw ambiguous('a "\\" in the target', member)
    } else if (allowed.test(char)) {
      out += char
    } else {
      out += `%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`
    }
  }
  return out
}

/** RFC 3986 §5.2.4, remove_dot_segments. */
export function removeDotSegments(path: string): string {
  const output: string[] = []
  let input = path
  while (input.length > 0) {
    if (input.startsWith('../')) input = input.slice(3)
    else if (input.startsWith('./')) input = input.slice(2)
    else if (input.startsWith('/./')) input = input.slice(2)
    else if (input === '/.') input = '/'
    else if (input.startsWith('/../')) {
      input = input.slice(3)
      output.pop()
    } else if (input === '/..') {
      input = '/'
      output.pop()
    } else if (input === '.' || input === '..') input = ''
    else {
      const next = input.indexOf('/', input.startsWith('/') ? 1 : 0)
      const segment = next === -1 ? input : input.slice(0, next)
      output.push(segment)
      input = next === -1 ? '' : input.slice(next)
    }
  }
  return output.join('')
}

/** The parts of a normalized absolute URI. */
export interface NormalizedHttpUri {
  readonly scheme: 'http' | 'https'
  readonly host: string
  readonly port: number
  readonly path: string
  readonly query: string | undefined
  readonly uri: string
}

const DEFAULT_PORTS = { http: 80, https: 443 } as const

function isPrintableAscii(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index)
    if (code <= 0x20 || code >= 0x7f) return false
  }
  return true
}

/**
 * The one normalization of a target URI (spec section 10): scheme and host lower-cased,
 * a default port dropped, percent-encodings of unreserved characters decoded, other
 * encodings in upper-case hex, dot-segments removed, the fragment dropped. Refuses
 * (`HTTP_REQUEST_AMBIGUOUS`) what readers could resolve differently: user info, a host
 * with characters that are not part of a host name, an encoded or raw `\`, an encoded
 * `/` in the path; and (`HTTP_REQUEST_INVALID`) anything that is not an absolute
 * `http:`/`https:` URI of printable ASCII.
 */
export function normalizeHttpUri(uri: string): NormalizedHttpUri {
  if (typeof uri !== 'string' || uri.length === 0 || uri.length > MAX_URI_LENGTH) {
    throw invalid(`the URI must be a string of 1 to ${MAX_URI_LENGTH} characters`, 'uri')
  }
  if (!isPrintableAscii(uri)) {
    throw invalid('the URI must be printable ASCII without spaces (percent-encode the rest)', 'uri')
  }
  const hashAt = uri.indexOf('#')
  const withoutFragment = hashAt === -1 ? uri : uri.slice(0, hashAt)
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?]*)([^?]*)(\?.*)?$/.exec(withoutFragment)
  if (match === null) throw invalid('the URI must be absolute, with "//" and a host', 'uri')
  const scheme = (match[1] as string).toLowerCase()
  if (scheme !== 'http' && scheme !== 'https')
    throw invalid('the scheme must be http or https', 'uri')
  const authority = match[2] as string
  if (authority.includes('@')) throw ambiguous('user information in the URI', 'uri')
  if (authority.includes('\\')) throw ambiguous('a "\\" in the host', 'uri')
  const { host, port } = parseAuthority(authority, scheme)
  const rawPath = match[3] as string
  if (rawPath !== '' && !rawPath.startsWith('/'))
    throw invalid('the path must start with "/"', 'uri')
  const path = removeDotSegments(
    normalizeEncoding(rawPath === '' ? '/' : rawPath, PATH_CHAR, true, 'uri'),
  )
  if (path.startsWith('//')) {
    // As a request target, `//host/…` reads as another host to some servers.
    throw ambiguous('the path starts with "//"', 'uri')
  }
  const rawQuery = match[4]
  const query =
    rawQuery === undefined
      ? undefined
      : normalizeEncoding(rawQuery.slice(1), QUERY_CHAR, false, 'uri')
  const authorityText = port === DEFAULT_PORTS[scheme] ? host : `${host}:${port}`
  return {
    scheme,
    host,
    port,
    path,
    query,
    uri: `${scheme}://${authorityText}${path}${query === undefined ? '' : `?${query}`}`,
  }
}

function parseAuthority(
  authority: string,
  scheme: 'http' | 'https',
): { host: string; port: number } {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::([0-9]+))?$/.exec(authority)
  if (match === null)
    throw ambiguous('the host is not a plain host name, IPv4 or IPv6 address', 'uri')
  const host = (match[1] as string).toLowerCase()
  if (host.endsWith('.') || host.startsWith('.') || host.includes('..')) {
    throw ambiguous('the host has an empty label', 'uri')
  }
  const portText = match[2]
  if (portText === undefined) return { host, port: DEFAULT_PORTS[scheme] }
  if (portText.length > 5 || (portText.length > 1 && portText.startsWith('0'))) {
    throw ambiguous('the port is not written in its one plain form', 'uri')
  }
  const port = Number(portText)
  if (port < 1 || port > 65535) throw invalid('the port is out of range', 'uri')
  return { host, port }
}

/** The media type of a `Content-Type` value (`type/subtype`, lower case), or `null`. */
function mediaTypeOf(contentType: string | null | undefined): {
  essence: string | null
  charset: string | undefined
} {
  if (contentType === undefined || contentType === null)
    return { essence: null, charset: undefined }
  if (typeof contentType !== 'string' || contentType.length > 1024 || contentType.includes(',')) {
    throw ambiguous('the Content-Type is not one media type', 'contentType')
  }
  const [type, ...parameters] = contentType.split(';')
  const essence = (type ?? '').trim().toLowerCase()
  if (!/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(essence)) {
    throw invalid('the Content-Type is not a media type', 'contentType')
  }
  let charset: string | undefined
  for (const parameter of parameters) {
    const [name, value] = parameter.split('=')
    if ((name ?? '').trim().toLowerCase() === 'charset') {
      charset = (value ?? '').trim().replace(/^"|"$/g, '').toLowerCase()
    }
  }
  return { essence, charset }
}

function isJsonMediaType(essence: string | null): boolean {
  return essence !== null && (essence === 'application/json' || essence.endsWith('+json'))
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** True when `text` parses as JSON to a lenient reader (after stripping white space). */
function looksLikeJson(bytes: Uint8Array): boolean {
  let text: string
  try {
    text = utf8Strict.decode(bytes).trim()
  } catch {
    return false
  }
  if (text === '') return false
  try {
    JSON.parse(text)
    return true
  } catch {
    return false
  }
}

/** Own-property record of decoded pairs: one value, or the list of values of a repeated name. */
function pairsOf(text: string): Record<string, JsonValue> {
  const record: Record<string, JsonValue> = Object.create(null)
  for (const [name, value] of new URLSearchParams(text)) {
    const existing = Object.hasOwn(record, name) ? record[name] : undefined
    const next =
      existing === undefined
        ? value
        : Array.isArray(existing)
          ? [...existing, value]
          : [existing as string, value]
    Object.defineProperty(record, name, {
      value: next,
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }
  return record
}

/** The body as policies see it: parsed JSON, decoded form pairs, or nothing. */
function bodyView(
  body: Uint8Array,
  contentType: string | null | undefined,
  limits: JsonLimits | undefined,
): { essence: string | null; value: JsonValue | undefined } {
  const { essence, charset } = mediaTypeOf(contentType)
  if (body.byteLength >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf) {
    throw ambiguous('the body starts with a byte order mark', 'body')
  }
  if (body.byteLength === 0) return { essence, value: undefined }
  if (isJsonMediaType(essence)) {
    if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
      throw ambiguous('a JSON body must be UTF-8', 'body')
    }
    let text: string
    try {
      text = utf8Strict.decode(body)
    } catch (cause) {
      throw new WritError('INPUT_SYNTAX', 'the JSON body is not valid UTF-8', {
        cause,
        details: { path: 'body' },
      })
    }
    return { essence, value: parseJson(text, limits) }
  }
  // A JSON body under another media type: some frameworks parse it anyway, so the policy
  // and the handler could read it differently.
  if (looksLikeJson(body)) throw ambiguous('a JSON body sent with a non-JSON Content-Type', 'body')
  if (essence === 'application/x-www-form-urlencoded') {
    let text: string
    try {
      text = utf8Strict.decode(body)
    } catch (cause) {
      throw new WritError('INPUT_SYNTAX', 'the form body is not valid UTF-8', {
        cause,
        details: { path: 'body' },
      })
    }
    return { essence, value: pairsOf(text) }
  }
  return { essence, value: undefined }
}

function headerView(
  headers: Readonly<Record<string, string>> | undefined,
): Record<string, string> | undefined {
  if (headers === undefined) return undefined
  if (typeof headers !== 'object' || headers === null)
    throw invalid('headers must be an object', 'headers')
  const names = Object.keys(headers)
  if (names.length === 0) return undefined
  if (names.length > MAX_HEADERS) throw invalid(`at most ${MAX_HEADERS} headers`, 'headers')
  const view: Record<string, string> = Object.create(null)
  for (const name of names) {
    const value = headers[name]
    if (
      !/^[a-z0-9!#$%&'*+.^_`|~-]{1,64}$/.test(name) ||
      typeof value !== 'string' ||
      value.length > MAX_URI_LENGTH
    ) {
      throw invalid('header names must be lower-case tokens, values strings', `headers/${name}`)
    }
    Object.defineProperty(view, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }
  return view
}

/**
 * Derives, from one HTTP request, both what a policy sees and what a receipt binds
 * (spec section 10). The arguments are:
 *
 * ```
 * { method: "POST", url: "https://pay.example.com/v1/transfers?dry=1",
 *   scheme: "https", host: "pay.example.com", port: 443,
 *   path: "/v1/transfers", query: { dry: "1" },      // decoded pairs; a repeated name maps to a list
 *   contentType: "application/json",                 // media type, lower case; null without one
 *   headers: { "x-tenant": "acme" },                 // allow-listed headers only, when any
 *   body: { to: "alice", amount: 250 } }             // JSON and form bodies only
 * ```
 *
 * and the binding is `{ method, uri: <url>, body: sha256 of the body bytes }`. The
 * authority, the gated fetch and every receiving guard call this one function.
 *
 * @throws WritError `HTTP_REQUEST_INVALID` (not a request this can read),
 *   `HTTP_REQUEST_AMBIGUOUS` (readers could disagree: see {@link normalizeHttpUri}; a BOM;
 *   JSON under a non-JSON `Content-Type`; a JSON body in another charset),
 *   `BODY_TOO_LARGE`, or an input code from the strict JSON reader (duplicate keys,
 *   forbidden keys, …), each with `details.path`.
 */
export function httpRequestView(
  input: HttpRequestInput,
  options: HttpRequestViewOptions = {},
): HttpRequestView {
  if (typeof input !== 'object' || input === null)
    throw invalid('the request must be an object', '')
  // Each member read once: a getter cannot show one check one value and the digest another.
  const { method, uri, contentType, headers, body: givenBody } = input
  if (typeof method !== 'string' || !/^[A-Z]{1,16}$/.test(method)) {
    throw invalid('the method must be 1 to 16 upper-case letters', 'method')
  }
  const body = givenBody ?? new Uint8Array(0)
  if (!(body instanceof Uint8Array)) throw invalid('the body must be bytes', 'body')
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY
  if (body.byteLength > maxBodyBytes) {
    throw new WritError('BODY_TOO_LARGE', `the body is larger than ${maxBodyBytes} bytes`, {
      details: { path: 'body', maxBytes: maxBodyBytes },
    })
  }
  if ((method === 'GET' || method === 'HEAD') && body.byteLength > 0) {
    throw ambiguous(`a ${method} request with a body`, 'body')
  }
  const target = normalizeHttpUri(uri)
  const parsedBody = bodyView(body, contentType, options.limits)
  const headerValues = headerView(headers)
  const args: Record<string, JsonValue> = {
    method,
    url: target.uri,
    scheme: target.scheme,
    host: target.host,
    port: target.port,
    path: target.path,
    query: pairsOf(target.query ?? ''),
    contentType: parsedBody.essence,
  }
  if (headerValues !== undefined) args['headers'] = headerValues
  if (parsedBody.value !== undefined) args['body'] = parsedBody.value
  const canonical = canonicalArgs(args, options.limits)
  return {
    args: canonical.value,
    argsDigest: canonical.digest,
    binding: { method, uri: target.uri, body: digestOf(body) },
  }
}

/** A request as a receiving service got it, before anything resolved its target. */
export interface ReceivedHttpRequest {
  readonly method: string
  /** The request target exactly as received (origin-form: path and query). */
  readonly target: string
  /** Every `Host` header value received (none, one, or several). */
  readonly hostHeaders: readonly string[]
  readonly contentType: string | null
  readonly headers?: Readonly<Record<string, string>> | undefined
  readonly body: Uint8Array
}

/** Options of {@link receivedHttpRequestView}. */
export interface ReceivedHttpRequestOptions extends HttpRequestViewOptions {
  /** This service's public origin, e.g. `https://pay.example.com`. The `Host` header never counts. */
  readonly origin: string
  /**
   * How the router that will dispatch the request matches paths. `'exact'`: case and a
   * trailing slash matter. `'lenient'` (Express's default): a path is matched ignoring
   * case and a trailing slash, so only a path that reads the same both ways (no upper-case
   * letter, no trailing slash) is accepted.
   */
  readonly routing?: 'exact' | 'lenient'
}

/**
 * Checks that `origin` is exactly an `http(s)` origin, and returns it normalized.
 * @throws WritError `RECEIVER_ERROR`
 */
export function checkOrigin(origin: string): string {
  let normalized: NormalizedHttpUri | undefined
  try {
    normalized = normalizeHttpUri(origin)
  } catch {
    normalized = undefined
  }
  const bare = normalized?.uri.slice(0, -1)
  if (
    normalized === undefined ||
    normalized.query !== undefined ||
    !/^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]+\/?$/.test(origin)
  ) {
    throw new WritError(
      'RECEIVER_ERROR',
      `"${origin}" is not an http(s) origin such as https://pay.example.com`,
      {
        details: { option: 'origin' },
      },
    )
  }
  return bare as string
}

/**
 * The view of a request a receiving service got: its target resolved against the
 * configured `origin` (never the `Host` header), then {@link httpRequestView}. Refuses
 * (`HTTP_REQUEST_AMBIGUOUS`) a target that is not a plain path (absolute-form,
 * scheme-relative `//…`, a fragment, a `\`), a target that is not already in normal
 * form (a handler would see something other than what the policy saw: dot-segments,
 * encoded unreserved characters), several `Host` headers or one with `/ \ ? # @` or
 * white space, and, with `routing: 'lenient'`, a path with an upper-case letter or a
 * trailing slash.
 */
export function receivedHttpRequestView(
  received: ReceivedHttpRequest,
  options: ReceivedHttpRequestOptions,
): HttpRequestView {
  const origin = checkOrigin(options.origin)
  const { target, hostHeaders } = received
  if (hostHeaders.length > 1) throw ambiguous('more than one Host header', 'host')
  const host = hostHeaders[0]
  if (host !== undefined && (/[/\\?#@\s,]/.test(host) || host.length === 0)) {
    throw ambiguous('the Host header is not a plain host', 'host')
  }
  if (typeof target !== 'string' || !target.startsWith('/') || target.startsWith('//')) {
    throw ambiguous('the request target is not a path', 'uri')
  }
  if (target.includes('#')) throw ambiguous('a fragment in the request target', 'uri')
  const view = httpRequestView(
    {
      method: received.method,
      uri: `${origin}${target}`,
      contentType: received.contentType,
      headers: received.headers,
      body: received.body,
    },
    options,
  )
  const queryAt = target.indexOf('?')
  const rawPath = queryAt === -1 ? target : target.slice(0, queryAt)
  const path = view.args['path'] as string
  if (rawPath !== path) {
    throw ambiguous(
      'the path is not in normal form; the handler would see another path than the policy',
      'uri',
    )
  }
  if (
    (options.routing ?? 'exact') === 'lenient' &&
    (path !== path.toLowerCase() || (path.length > 1 && path.endsWith('/')))
  ) {
    throw ambiguous('the router ignores case and trailing slashes; this path reads two ways', 'uri')
  }
  return view
}
