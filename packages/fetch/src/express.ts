/**
 * `@writ/fetch/express`: the receipt guard as Express middleware. Takes only types
 * from Express.
 */

import { WritError } from '@writ/verify'
import { checkOrigin } from '@writ/verify/internal'
import type {
  Request as ExpressRequest,
  Response as ExpressResponse,
  NextFunction,
  RequestHandler,
} from 'express'
import { incomingOfNode, readNodeBody, writeWebResponse } from './node-request.js'
import {
  createReceiptCheck,
  type ReceiptGuardOptions,
  type ReceiptGuardResult,
  refusalResult,
} from './receipt-guard.js'

function isEmptyPlainObject(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.getPrototypeOf(value) === Object.prototype &&
    Object.keys(value).length === 0
  )
}

/** The exact body bytes of an Express request, or a refusal when they are unknowable. */
async function bodyOf(request: ExpressRequest, maxBytes: number): Promise<Uint8Array> {
  const parsed: unknown = request.body
  if (parsed instanceof Uint8Array) {
    // `express.raw()` ran; use `inflate: false` so these are the bytes as sent.
    if (parsed.byteLength > maxBytes) {
      throw new WritError('BODY_TOO_LARGE', `the body is larger than ${maxBytes} bytes`, {
        details: { maxBytes },
      })
    }
    return parsed
  }
  // A parser such as `express.json()` already consumed the stream: the bytes that were
  // sent are gone, and hashing anything else could let a different body through.
  if (parsed !== undefined && !isEmptyPlainObject(parsed)) {
    throw new WritError(
      'BODY_NOT_HASHABLE',
      'a body parser ran before the Writ guard; mount the guard first or use express.raw()',
    )
  }
  return readNodeBody(request, maxBytes)
}

/**
 * Express middleware that lets a request through only with a valid, unused PERMIT
 * bound to exactly that request. Mount it before any body parser (it reads the raw
 * body itself), or after `express.raw({ type: '*\/*', inflate: false })`. On success
 * `res.locals.writ` holds `{ receipt, body, view }` and, when no parser ran, `req.body`
 * is the raw body as a `Buffer`; `view.args` is the request as the policy saw it.
 * Refusals are answered with `application/problem+json`.
 *
 * The URI checked is the configured origin (default: the audience) plus
 * `req.originalUrl` as received; the `Host` header and `trust proxy` never count.
 * Express matches routes ignoring case and a trailing slash unless its routers are
 * built with `caseSensitive: true` and `strict: true`, so by default (`routing:
 * 'lenient'`) only paths that read the same either way are accepted; set `routing:
 * 'exact'` once every router in front of the guarded handlers is strict and
 * case-sensitive.
 *
 * @example
 * ```ts
 * app.post('/v1/transfers',
 *   expressReceiptGuard({ keys, audience: 'https://pay.example.com', replay }),
 *   (req, res) => res.json(pay(res.locals.writ.view.args.body)))
 * ```
 */
export function expressReceiptGuard(options: ReceiptGuardOptions): RequestHandler {
  const check = createReceiptCheck({ ...options, routing: options.routing ?? 'lenient' })
  const origin = checkOrigin(options.origin ?? options.audience)
  const run = async (
    request: ExpressRequest,
    response: ExpressResponse,
    next: NextFunction,
  ): Promise<void> => {
    let result: ReceiptGuardResult
    try {
      result = await check(
        incomingOfNode(request, origin, request.originalUrl, (maxBytes) =>
          bodyOf(request, maxBytes),
        ),
      )
    } catch (caught) {
      result = refusalResult(caught, 'BODY_NOT_HASHABLE')
    }
    if (!result.ok) {
      await writeWebResponse(result.response, response)
      return
    }
    response.locals['writ'] = result
    if (request.body === undefined || isEmptyPlainObject(request.body)) {
      request.body = Buffer.from(result.body.buffer, result.body.byteOffset, result.body.byteLength)
    }
    next()
  }
  return (request, response, next) => {
    run(request, response, next).catch(next)
  }
}

export type { ReceiptGuardOptions, ReceiptGuardSuccess } from './receipt-guard.js'
