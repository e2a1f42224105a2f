/**
 * `@writ/fetch`: a gated `fetch` that asks a Writ gate before each request and sends the
 * receipt with it, and the receiving side that checks that receipt.
 *
 * @packageDocumentation
 */

// The sending side: a gated fetch

export {
  createGatedFetch,
  type FetchFunction,
  type GatedFetchOptions,
  type PerRequest,
  RECEIPT_HEADER,
  refusalProblem,
} from './gated-fetch.js'
export { defaultActionName, type HeaderAllowList, type HttpActionInput } from './http-action.js'

// The receiving side and the wire helpers, as `@writ/fetch/receiver` exports them
// (framework middleware at `@writ/fetch/hono`, `@writ/fetch/express` and `@writ/fetch/node`)

export * from './receiver.js'
