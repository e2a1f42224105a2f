/**
 * `@writ/core`: the Writ gate. What an application, an adapter author or a store author
 * needs; Writ's own packages share a few more names through `@writ/core/internal`.
 *
 * @packageDocumentation
 */
// biome-ignore-all assist/source/organizeImports: the exports are grouped by concept, each group under its comment

// The gate: decide, sign, record; and what it decides on and answers with
export {
  createGate,
  DEFAULT_AGENT,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_MEMORY_KEEP,
  DEFAULT_TTL_SECONDS,
  type GateOptions,
  type LocalGate,
  MAX_TTL_SECONDS,
} from './gate.js'
export type {
  ActionRequest,
  ApprovalMode,
  Decision,
  DecisionKind,
  Gate,
  GuardOptions,
  HoldReader,
  InputProblem,
  PermitDecision,
  RefusalDecision,
  WrapOptions,
} from './types.js'

// Approvals: approve rules hold actions until approvers sign for them (spec section 11)
export {
  type ApproverDirectory,
  type ApproverEntry,
  type ApproverPasskey,
  type ApproversDocument,
  loadApprovers,
  type PublishedApprovers,
  parseApprovers,
} from './approvals/approvers.js'
export type { ApprovalGateOptions } from './approvals/gate-approvals.js'
export type { HoldDesk } from './approvals/hold-desk.js'
export type {
  HoldClosing,
  HoldInfo,
  HoldOpening,
  HoldStore,
  HoldView,
  StoredApproval,
  StoredHold,
  StoredHoldState,
} from './approvals/hold-types.js'
export {
  type ApprovalClaimsOptions,
  approvalClaimsFor,
  signApproval,
} from './approvals/sign-approval.js'
export { checkHoldClosing, refuseApproval } from './approvals/memory-holds.js'
export { approvalSources } from './approvals/chain-sources.js'

// A remote authority (`writ serve`) as a gate
export {
  createRemoteGate,
  type RemoteGateOptions,
  type RemoteSessionOptions,
} from './remote-gate.js'
export { SESSION_HEADER, type SessionHeaderInput, sessionHeader } from './session-header.js'

// Policies: compiling, loading, what they decide, and their bounds
export * from './policy/index.js'

// Signing keys and key rings
export {
  createKeyRing,
  type ExternalKeyJwk,
  isKeyRing,
  type KeyRing,
  type KeyRingDocument,
  type KeyRingEntry,
  type KeyRingOptions,
  loadKeyRing,
  type RotateOptions,
} from './key-ring.js'
export {
  type GenerateSigningKeyOptions,
  generateSigningKey,
  loadSigningKey,
  type ParsedSigningKey,
  type PrivateSigningJwk,
  parsePublicSigningKey,
  parseSigningKey,
  readKeyFile,
  type SigningKeySource,
} from './keys.js'
export type { Signer } from './signer.js'

// Keys outside the process: signers that answer asynchronously (PKCS#11 tokens, cloud KMS)
export {
  type AnySigner,
  type AsyncSigner,
  checkSignature,
  isAsyncSigner,
  signerUnavailable,
} from './async-signer.js'

// Stores: the interface a store implements, and the in-memory store
export { createMemoryStore, type MemoryStoreOptions } from './memory-store.js'
export type { ReceiptFilter, ReceiptQuery } from './receipt-query.js'
export type {
  AppendContext,
  AppendOptions,
  ChainPosition,
  IssuedReceipt,
  LimitCheck,
  Store,
  StoredCheckpoint,
  StoredCheckpointNote,
  StoredReceipt,
} from './types.js'
// Session histories (`history` in conditions): bounds, and what a store keeps
export {
  DEFAULT_SESSION_HISTORY_MAX_AGE_SECONDS,
  DEFAULT_SESSION_HISTORY_MAX_ENTRIES,
  isSessionMoved,
  MAX_SESSION_HISTORY_ENTRIES,
  type SessionAppend,
  type SessionHistoryOptions,
  type SessionHistoryRead,
  type SessionHistoryStore,
  type StoredSessionEntry,
  sessionMovedError,
} from './session-history.js'

// Policy operations: shadow candidates, argument retention, replay, drift and decision spans
export {
  type DecisionRateOptions,
  type DecisionRateRow,
  type DecisionRates,
  decisionRates,
} from './operations/decision-rates.js'
export { DECISION_SPAN_NAME, decisionSpanAttributes } from './operations/decision-span.js'
export { inRange } from './operations/memory-records.js'
export type {
  DecisionSummary,
  PolicyRecords,
  RecordRange,
  RetainedRequest,
  RetentionRule,
  RetentionRules,
  ShadowDisagreement,
} from './operations/records.js'
export {
  type NotReplayable,
  type NotReplayableReason,
  type ReplayChange,
  type ReplayOptions,
  type ReplayReport,
  recordedDecisions,
  replayDecisions,
} from './operations/replay.js'
export {
  checkRetained,
  compileRetention,
  type RetainedStatus,
  retainedCopy,
} from './operations/retention.js'
export type { ShadowStats } from './operations/shadow.js'
export {
  type DecisionTransition,
  type ShadowReport,
  shadowReport,
  summarizeTransitions,
  TRANSITION_EXAMPLES,
} from './operations/transitions.js'

// Auditing a store: one chain's receipts through verifyChain
export { type VerifyStoreOptions, verifyStore } from './verify-store.js'

// Transparency: each chain as a Merkle tree, its proofs and signed checkpoint notes (spec section 12)
export { type AuditBundleOptions, exportAuditBundle } from './transparency/audit-bundle.js'
export { type ChainTree, chainTree } from './transparency/chain-tree.js'
export {
  type CheckpointNoteOptions,
  logVerifierKey,
  type SignedCheckpointNote,
  signCheckpointNote,
} from './transparency/checkpoint-note.js'
export {
  createWitnessPusher,
  type WitnessEndpoint,
  type WitnessOutcome,
  type WitnessPusherOptions,
} from './transparency/witness-client.js'

// Approvals: the signed webhook sent when a hold opens
export {
  type ApprovalWebhook,
  type ApprovalWebhookOptions,
  createApprovalWebhook,
  generateWebhookKeyPair,
  HOLD_OPENED_EVENT,
  type HoldNotice,
  holdOpenedPayload,
  signWebhook,
  type WebhookKeyPair,
  webhookPublicKey,
} from './approval-webhook.js'

// Refusals: what a refused action throws, and the payload an agent can read
export {
  ActionRefusedError,
  heldMessage,
  type RefusalPayload,
  type RefusalPayloadOptions,
  refusalOf,
  refusalPayload,
} from './refusal.js'

// For adapter authors: the one fail-closed path, the arguments check, tool names, the tool-call cap
export { type GuardOutcome, guardAction, guardOutcome, wrapAction } from './gate-helpers.js'
export { assertArgsUnchanged } from './json-equal.js'
export { type ActionNameMapping, resolveActionName } from './action-name-mapping.js'
export { DEFAULT_MAX_TOOL_CALLS, maxToolCallsOf, tooManyToolCallsError } from './tool-call-limit.js'

// From @writ/verify: the errors and wire types users of the gate need
export {
  APPROVAL_ERROR_CODES,
  type ApprovalErrorCode,
  AUTHORITY_ERROR_CODES,
  type AuthorityErrorCode,
  INPUT_ERROR_CODES,
  type InputErrorCode,
  isInputErrorCode,
  VERIFY_ERROR_CODES,
  type VerifyErrorCode,
  WritError,
  type WritErrorCode,
  type WritErrorOptions,
} from '@writ/verify'
export type {
  ApprovalClaims,
  ApprovalReference,
  ApprovalVerdict,
  ChainLink,
  CheckpointClaims,
  Digest,
  HoldClaim,
  HttpBinding,
  JsonLimits,
  JsonObject,
  JsonValue,
  JwkSet,
  KeyStatus,
  PublicJwk,
  ReceiptClaims,
  ReplayCache,
} from '@writ/verify'
