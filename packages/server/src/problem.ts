import { WritError } from '@writ/verify'
import type { RowFault } from './receipt-view.js'

/** An RFC 9457 problem+json response with Writ's stable `code`. */
export function problem(
  status: number,
  code: string,
  detail: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Response {
  return new Response(
    JSON.stringify({
      type: `https://writ.dev/problems/${code.toLowerCase()}`,
      title: code,
      status,
      code,
      detail,
      ...extra,
    }),
    {
      status,
      headers: { 'content-type': 'application/problem+json', ...headers },
    },
  )
}

/** The HTTP status of a gate failure: timeouts 504, store, key and signer trouble 503, else 500. */
export function statusOf(code: string): number {
  if (code === 'GATE_TIMEOUT') return 504
  if (code.startsWith('STORE_') || code === 'KEY_MISSING' || code === 'KEY_INVALID') return 503
  if (code === 'SIGNER_UNAVAILABLE') return 503
  return 500
}

export const unauthenticated = (): Response =>
  problem(401, 'UNAUTHENTICATED', 'A valid bearer token is required.')

export const storeUnavailable = (error: unknown, detail: string): Response =>
  problem(503, WritError.isInstance(error) ? error.code : 'STORE_UNAVAILABLE', detail)

export const rowFault = (fault: RowFault): Response => problem(500, fault.code, fault.detail)
