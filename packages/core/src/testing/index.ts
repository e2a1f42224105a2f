// Test helpers for Writ's own tests and for store and adapter authors (vitest)

// A gate that holds large payments for approval, with approvers and their keys
export {
  type ApprovalsFixture,
  approvalsPolicyText,
  claimsOf,
  createApprovalsFixture,
} from './approvals-fixture.js'
// An asynchronous signer over an in-memory key, with failures on demand
export {
  createTestAsyncSigner,
  type TestAsyncSigner,
  type TestAsyncSignerOptions,
  type TestSignerMode,
} from './async-signer-fixture.js'
// The payments fixture: one policy and a gate factory shared by core's and adapters' tests
export {
  createPaymentsGate,
  type PaymentsGateOptions,
  type PaymentsPolicyOptions,
  paymentsAgent,
  paymentsIssuer,
  paymentsPolicyText,
  paymentsPolicyTextWith,
} from './payments-fixture.js'
// The policy-operations conformance suite, for store implementations
export {
  candidatePaymentsPolicyText,
  describePolicyRecordsConformance,
  type RecordsStoreFactory,
  recordedHistory,
} from './policy-records-conformance.js'
// The store conformance suite, for store implementations
export {
  describeStoreConformance,
  type StoreFactory,
  type StoreUnderTest,
} from './store-conformance.js'
