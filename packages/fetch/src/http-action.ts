import type { Digest, HttpBinding } from '@writ/verify'

/**
 * One outgoing HTTP request as Writ sees it, after its body was read and hashed.
 * Handed to the `action` and `args` options of `createGatedFetch`.
 */
export interface HttpActionInput {
  /** The request as built from the caller's `input` and `init`. Its body is already read. */
  readonly request: Request
  /** The method as it will be sent, e.g. `POST`. */
  readonly method: string
  /** The target URL, without fragment. */
  readonly url: URL
  /** The exact body bytes that will be sent (empty when there is no body). */
  readonly body: Uint8Array
  /** `sha256:<hex>` of {@link HttpActionInput.body}. */
  readonly digest: Digest
  /**
   * The body as text, when the content type is JSON (`application/json`, `*+json`)
   * and the bytes are UTF-8 text that parses as JSON; `undefined` otherwise.
   */
  readonly jsonText: string | undefined
}

/**
 * The `http` claim a receipt carries for a request: method, full URI including the
 * query (never the fragment, which is not sent), and body digest.
 */
export function httpBindingOf(input: HttpActionInput): HttpBinding {
  return { method: input.method, uri: input.url.href, body: input.digest }
}

/** True for `application/json` and any `+json` media type, parameters ignored. */
export function isJsonContentType(contentType: string | null): boolean {
  if (contentType === null) return false
  const essence = (contentType.split(';')[0] ?? '').trim().toLowerCase()
  return (
    essence === 'application/json' || /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+\+json$/.test(essence)
  )
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/**
 * The body as JSON text when the content type says JSON and it parses, else
 * `undefined`. The text is kept raw so the gate's strict I-JSON reader sees
 * duplicate keys, lone surrogates and oversize integers that `JSON.parse` hides.
 */
export function jsonTextOf(contentType: string | null, body: Uint8Array): string | undefined {
  if (!isJsonContentType(contentType) || body.byteLength === 0) return undefined
  let text: string
  try {
    text = utf8.decode(body)
    JSON.parse(text)
  } catch {
    return undefined
  }
  return text
}

/**
 * The default action name of a request: `http.` and the method in lower case,
 * e.g. `http.post`.
 */
export function defaultActionName(method: string): string {
  return `http.${method.toLowerCase()}`
}

/** The allow-list option: which request headers policies may see. */
export type HeaderAllowList = readonly string[]

/**
 * The default arguments of an HTTP action, as raw JSON text (see the README for the
 * shape). Policies see this object as `args`:
 *
 * ```
 * { method: "POST", url: "https://api.example.com/v1/pay?dry=1",
 *   host: "api.example.com", path: "/v1/pay", query: { dry: "1" },
 *   headers: { "content-type": "application/json" },   // allow-listed headers only
 *   body: { ... } }                                     // JSON bodies only
 * ```
 *
 * `query` maps each name to its value, or to the list of its values in order when
 * the name repeats. `headers` is present only when `allowHeaders` names headers the
 * request carries, keyed in lower case (repeated headers joined by `, `). `body` is
 * present only for a JSON body that parses; it is spliced in as the raw text, so
 * the gate refuses a body that is not I-JSON (`INPUT_INVALID`) instead of reading
 * it differently from the service that will receive it.
 */
export function defaultHttpArgs(
  input: HttpActionInput,
  allowHeaders: HeaderAllowList = [],
): string {
  const query: Record<string, string | string[]> = Object.create(null)
  for (const [name, value] of input.url.searchParams) {
    const existing = Object.hasOwn(query, name) ? query[name] : undefined
    // Own-property writes: a `__proto__` name stays data, and the gate then refuses it.
    const next =
      existing === undefined
        ? value
        : Array.isArray(existing)
          ? [...existing, value]
          : [existing, value]
    Object.defineProperty(query, name, {
      value: next,
      enumerable: true,
      writable: true,
      configurable: true,
    })
  }
  const args: Record<string, unknown> = {
    method: input.method,
    url: input.url.href,
    host: input.url.host,
    path: input.url.pathname,
    query,
  }
  const headers: Record<string, string> = Object.create(null)
  let headerCount = 0
  for (const name of allowHeaders) {
    const key = name.toLowerCase()
    const value = input.request.headers.get(key)
    if (value === null) continue
    Object.defineProperty(headers, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    })
    headerCount += 1
  }
  if (headerCount > 0) args['headers'] = headers
  const text = JSON.stringify(args)
  if (input.jsonText === undefined) return text
  // `jsonText` parsed as one complete JSON value, so splicing it in cannot change the
  // structure around it; `text` always ends with the closing brace of `args`.
  return `${text.slice(0, -1)},"body":${input.jsonText}}`
}
