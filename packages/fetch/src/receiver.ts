/**
 * `@writ/fetch/receiver`: the receiving side for Fetch-API servers. Needs only the
 * authority's public keys.
 */

// Wire helpers
export { contentDigestMatches, contentDigestOf } from './content-digest.js'
export { PROBLEM_CONTENT_TYPE, type WritProblem } from './problem.js'
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
