/**
 * `@writ/fetch/receiver`: the receiving side for Fetch-API servers. Needs only the
 * authority's public keys.
 *
 * @packageDocumentation
 */

// The guard

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

// Wire helpers both sides use: content digests, problem details, the body limit

export { contentDigestMatches, contentDigestOf } from './content-digest.js'
export { PROBLEM_CONTENT_TYPE, problemType, type WritProblem } from './problem.js'
export { DEFAULT_MAX_BODY_BYTES } from './read-body.js'
