/**
 * `@writ/fetch/node`: the receipt guard for plain `node:http` (and `node:https`)
 * handlers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { checkOrigin } from '@writ/verify/internal'
import { incomingOfNode, writeWebResponse } from './node-request.js'
import {
  createReceiptCheck,
  type ReceiptGuardOptions,
  type ReceiptGuardResult,
  type ReceiptGuardSuccess,
  refusalResult,
} from './receipt-guard.js'

/** A `node:http` handler that also receives the verified receipt and the body bytes. */
export type NodeReceiptHandler = (
  request: IncomingMessage,
  response: ServerResponse,
  writ: ReceiptGuardSuccess,
) => void | Promise<void>

/**
 * Wraps a `(request, response) => void` handler of `node:http` so it runs only for
 * requests that carry a valid, unused PERMIT bound to exactly themselves. The request
 * target is checked as received (`request.url`), against the configured origin: a
 * target with dot-segments, encoded unreserved characters, a scheme-relative `//`, or an
 * ambiguous `Host` is refused (400 `HTTP_REQUEST_AMBIGUOUS`), since the handler would
 * see something other than what the policy saw. The handler must use `writ.body` (or
 * `writ.view.args`), not the stream, which the guard has read. Refusals are answered
 * with `application/problem+json` (401 `RECEIPT_MISSING`, 413 `BODY_TOO_LARGE`,
 * otherwise 400 or 403 with the verifier's code).
 *
 * @example
 * ```ts
 * http.createServer(nodeReceiptGuard({ keys, audience: 'https://pay.example.com', replay: 'memory' },
 *   (request, response, writ) => { response.end(JSON.stringify(pay(writ.view.args.body))) }))
 * ```
 */
export function nodeReceiptGuard(
  options: ReceiptGuardOptions,
  handler: NodeReceiptHandler,
): (request: IncomingMessage, response: ServerResponse) => void {
  const check = createReceiptCheck(options)
  const origin = checkOrigin(options.origin ?? options.audience)
  const run = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    let result: ReceiptGuardResult
    try {
      result = await check(incomingOfNode(request, origin))
    } catch (caught) {
      result = refusalResult(caught, 'BODY_NOT_HASHABLE')
    }
    if (!result.ok) {
      await writeWebResponse(result.response, response)
      return
    }
    await handler(request, response, result)
  }
  return (request, response) => {
    run(request, response).catch(() => {
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' })
      response.end()
    })
  }
}

export type { ReceiptGuardOptions, ReceiptGuardSuccess } from './receipt-guard.js'
