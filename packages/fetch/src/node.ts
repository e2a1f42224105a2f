/**
 * `@writ/fetch/node`: the receipt guard for plain `node:http` (and `node:https`)
 * handlers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { WritError } from '@writ/verify'
import { readNodeBody, webRequestOf, writeWebResponse } from './node-request.js'
import { DEFAULT_MAX_BODY_BYTES } from './read-body.js'
import {
  createReceiptGuard,
  type ReceiptGuardOptions,
  type ReceiptGuardResult,
  type ReceiptGuardSuccess,
  receiverRefusal,
} from './receipt-guard.js'

/** A `node:http` handler that also receives the verified receipt and the body bytes. */
export type NodeReceiptHandler = (
  request: IncomingMessage,
  response: ServerResponse,
  writ: ReceiptGuardSuccess,
) => void | Promise<void>

/**
 * Checks a Node request against its `Writ-Receipt`: reads the body (so the handler
 * must use `writ.body`, not the stream), then runs the same checks as
 * `createReceiptGuard`. @internal helper shared with the Express middleware.
 */
export async function checkNodeRequest(
  guard: (request: Request) => Promise<ReceiptGuardResult>,
  message: IncomingMessage,
  body: Uint8Array,
  target?: string,
): Promise<ReceiptGuardResult> {
  const method = message.method ?? 'GET'
  if ((method === 'GET' || method === 'HEAD') && body.byteLength > 0) {
    // A Fetch client cannot send this, and no receipt binds it: the body would go unchecked.
    const error = new WritError(
      'HTTP_MISMATCH',
      `a ${method} request with a body matches no receipt`,
    )
    return { ok: false, response: receiverRefusal(error), error }
  }
  return guard(webRequestOf(message, body, target))
}

/**
 * Wraps a `(request, response) => void` handler of `node:http` so it runs only for
 * requests that carry a valid, unused PERMIT bound to exactly themselves. Refusals
 * are answered with `application/problem+json` (401 `RECEIPT_MISSING`, 413
 * `BODY_TOO_LARGE`, otherwise 403 with the verifier's code).
 *
 * Behind a proxy, pass `origin` (or `publicUrl`) so the URI checked is the one the
 * sender addressed, not one built from the `Host` header.
 *
 * @example
 * ```ts
 * http.createServer(nodeReceiptGuard({ keys, audience: 'http://127.0.0.1:8080' },
 *   (request, response, writ) => { response.end(JSON.stringify(pay(writ.body))) }))
 * ```
 */
export function nodeReceiptGuard(
  options: ReceiptGuardOptions,
  handler: NodeReceiptHandler,
): (request: IncomingMessage, response: ServerResponse) => void {
  const guard = createReceiptGuard(options)
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const run = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    let result: ReceiptGuardResult
    try {
      const body =
        request.headers['writ-receipt'] === undefined
          ? new Uint8Array(0)
          : await readNodeBody(request, maxBodyBytes)
      result = await checkNodeRequest(guard, request, body)
    } catch (caught) {
      const error = WritError.isInstance(caught)
        ? caught
        : new WritError('BODY_NOT_HASHABLE', 'the request body could not be read', {
            cause: caught,
          })
      result = { ok: false, response: receiverRefusal(error), error }
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
