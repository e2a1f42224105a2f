/**
 * `@writ/fetch/hono`: the receipt guard as Hono middleware. Takes only types from Hono.
 */
import type { MiddlewareHandler } from 'hono'
import {
  createReceiptGuard,
  type ReceiptGuardOptions,
  type ReceiptGuardSuccess,
} from './receipt-guard.js'

/** The context variables the middleware sets: `c.get('writ')`. */
export interface WritHonoVariables {
  /** The verified receipt and the body bytes it binds. */
  writ: ReceiptGuardSuccess
}

/**
 * Hono middleware that lets a request through only with a valid, unused PERMIT bound
 * to exactly that request. The check reads a clone of the body, so handlers can still
 * use `c.req.json()` and friends; `c.get('writ')` holds `{ receipt, body, view }`, and
 * `view.args` is the request as the policy saw it. A request Hono would read another
 * way than the policy (a percent-encoded path that Hono decodes, a JSON body under a
 * non-JSON `Content-Type` that `c.req.json()` would parse anyway) is refused with 400
 * `HTTP_REQUEST_AMBIGUOUS`. Hono matches paths exactly by default; with `strict: false`
 * (trailing slash ignored) set `routing: 'lenient'`. Refusals are answered with
 * `application/problem+json`.
 *
 * @example
 * ```ts
 * const app = new Hono()
 * app.use('/v1/*', honoReceiptGuard({ keys, audience: 'https://pay.example.com', replay }))
 * app.post('/v1/transfers', async (c) => c.json(await pay(await c.req.json())))
 * ```
 */
export function honoReceiptGuard(
  options: ReceiptGuardOptions,
): MiddlewareHandler<{ Variables: WritHonoVariables }> {
  const guard = createReceiptGuard(options)
  return async (context, next) => {
    const result = await guard(context.req.raw.clone())
    if (!result.ok) return result.response
    context.set('writ', result)
    await next()
    return undefined
  }
}

export type { ReceiptGuardOptions, ReceiptGuardSuccess } from './receipt-guard.js'
