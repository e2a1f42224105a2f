/** The media type of RFC 9457 problem details. */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

/**
 * An RFC 9457 problem details object as Writ writes it. `code` is the stable Writ
 * error code programs branch on; the other Writ members are present on refusals.
 */
export interface WritProblem {
  /** A URI naming the problem kind: `urn:writ:problem:<code>`. */
  readonly type: string
  readonly title: string
  readonly status: number
  /** A sentence for people; may change between versions. */
  readonly detail: string
  /** The stable Writ code, e.g. `ACTION_REFUSED`, `REPLAYED`. */
  readonly code: string
  readonly [member: string]: unknown
}

/** The `type` URI of a problem with Writ code `code`. */
export function problemType(code: string): string {
  return `urn:writ:problem:${code}`
}

/**
 * A `Response` carrying a problem details body, with `Cache-Control: no-store` so no
 * cache keeps a refusal in place of a later, permitted answer.
 */
export function problemResponse(problem: WritProblem, headers?: Record<string, string>): Response {
  return new Response(JSON.stringify(problem), {
    status: problem.status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store', ...headers },
  })
}
