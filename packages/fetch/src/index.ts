// The sending side: a gated fetch

// Wire helpers
export { contentDigestMatches, contentDigestOf } from './content-digest.js'
export {
  createGatedFetch,
  type FetchFunction,
  type GatedFetchOptions,
  type PerRequest,
  RECEIPT_HEADER,
  refusalProblem,
} from './gated-fetch.js'
export { defaultActionName, type HeaderAllowList, type HttpActionInput } from './http-action.js'
export { PROBLEM_CONTENT_TYPE, problemType, type WritProblem } from './problem.js'
export { DEFAULT_MAX_BODY_BYTES } from './read-body.js'
// The receiving side (also at `@writ/fetch/receiver`; framework middleware at
// `@writ/fetch/hono`, `@writ/fetch/express` and `@writ/fetch/node`)
export {
  createReceiptGuard,
  type ReceiptGuard,
  type ReceiptGuardFailure,
  type ReceiptGuardOptions,
  type ReceiptGuardResult,
  type ReceiptGuardSuccess,
  receiverProblem,
  receiverStatusOf,
  requestWithBody,
  withReceiptGuard,
} from './receipt-guard.js'
