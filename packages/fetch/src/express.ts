/**
 * `@writ/fetch/express`: the receipt guard as Express middleware. Takes only types
 * from Express.
 */

import { WritError } from '@writ/verify'
import type {
  Request as ExpressRequest,
  Response as ExpressResponse,
  NextFunction,
  RequestHandler,
} from 'express'
import { checkNodeRequest } from './node.js'
import { readNodeBody, writeWebResponse } from './node-request.js'
import { DEFAULT_MAX_BODY_BYTES } from './read-body.js'
import {
  createReceiptGuard,
  type ReceiptGuardOptions,
  type ReceiptGuardResult,
  receiverRefusal,
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
 * `res.locals.writ` holds `{ receipt, body }` and, when no parser ran, `req.body` is
 * the raw body as a `Buffer`. Refusals are answered with `application/problem+json`.
 *
 * The URI checked is `req.protocol://req.get('host') + req.originalUrl`, so Express's
 * `trust proxy` setting applies; pass `origin` or `publicUrl` to pin it instead.
 *
 * @example
 * ```ts
 * app.post('/v1/transfers', expressReceiptGuard({ keys, audience: 'https://pay.example.com' }),
 *   (req, res) => res.json(pay(JSON.parse(req.body.toString('utf8')))))
 * ```
 */
export function expressReceiptGuard(options: ReceiptGuardOptions): RequestHandler {
  const guard = createReceiptGuard(options)
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const run = async (
    request: ExpressRequest,
    response: ExpressResponse,
    next: NextFunction,
  ): Promise<void> => {
    let result: ReceiptGuardResult
    try {
      const body =
        request.get('writ-receipt') === undefined
          ? new Uint8Array(0)
          : await bodyOf(request, maxBodyBytes)
      const target = `${request.protocol}://${request.get('host') ?? 'localhost'}${request.originalUrl}`
      result = await checkNodeRequest(guard, request, body, target)
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
