/**
 * One outgoing HTTP request as Writ sees it, after its body was read. Handed to the
 * per-request options of `createGatedFetch`.
 */
export interface HttpActionInput {
  /** The request as built from the caller's `input` and `init`. Its body is already read. */
  readonly request: Request
  /** The method as it will be sent, e.g. `POST`. */
  readonly method: string
  /** The target URL as given, without fragment (the URL sent is its normalized form). */
  readonly url: URL
  /** The exact body bytes that will be sent (empty when there is no body). */
  readonly body: Uint8Array
}

/**
 * The default action name of a request: `http.` and the method in lower case,
 * e.g. `http.post`.
 */
export function defaultActionName(method: string): string {
  return `http.${method.toLowerCase()}`
}

/** The allow-list option: which request headers policies may see in `args.headers`. */
export type HeaderAllowList = readonly string[]

/**
 * The allow-listed headers of a request, by lower-case name, or `undefined` when it
 * carries none of them. Sender and receiver use this one function, so both see the same.
 */
export function allowListedHeaders(
  header: (name: string) => string | null,
  allow: HeaderAllowList | undefined,
): Record<string, string> | undefined {
  if (allow === undefined || allow.length === 0) return undefined
  const headers: Record<string, string> = Object.create(null)
  let count = 0
  for (const name of allow) {
    const key = name.toLowerCase()
    const value = header(key)
    if (value === null) continue
    headers[key] = value
    count += 1
  }
  return count === 0 ? undefined : headers
}
