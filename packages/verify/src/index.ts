/**
 * `@writ/verify`: verify Writ receipts, checkpoints and chains with a public key alone, and
 * check a receipt before executing on it. Writ's own packages share more through
 * `@writ/verify/internal`; that entry carries no stability promise.
 *
 * @packageDocumentation
 */

// Receipts, checkpoints and chains (spec sections 5 and 8)

export {
  type ChainReport,
  type InvalidChainReport,
  type ValidChainReport,
  type VerifyChainOptions,
  verifyChain,
} from './chain.js'
export { type ChainApprovalSources, checkPermitApprovals } from './chain-approvals.js'
export { type VerifiedCheckpoint, verifyCheckpoint } from './checkpoint.js'
export { type VerifiedReceipt, verifyReceipt } from './receipt.js'

// Approvals (spec section 11)

export {
  APPROVER_ID_PATTERN,
  type ApprovalClaims,
  type ApprovalVerdict,
  type ApproverKeys,
  approvalDigest,
  approvalMatchesHold,
  checkApprovalClaims,
  MAX_APPROVAL_NOTE_LENGTH,
  type VerifiedApproval,
  type VerifyApprovalOptions,
  verifyApproval,
  type WebAuthnApprovalVerifier,
} from './approval.js'

// Approvals signed with a passkey (spec section 11, WebAuthn form)

export {
  approvalChallenge,
  type RegisteredPasskey,
  type VerifiedWebAuthnApproval,
  verifyWebAuthnApproval,
  type WebAuthnApprovalEnvelope,
  type WebAuthnApprovalOptions,
  webAuthnApprovalText,
  webAuthnApprovalVerifier,
} from './approval-webauthn.js'

// Executing on a receipt (spec section 7)

export {
  checkPermit,
  DEFAULT_MAX_LIFETIME_SECONDS,
  DEFAULT_SKEW_SECONDS,
  type PermitExpectation,
  verifyPermit,
} from './permit.js'
export { createMemoryReplayCache, type MemoryReplayCacheOptions } from './replay-cache.js'

// Trusted keys (spec section 6)

export {
  createKeySet,
  jwkThumbprint,
  type KeySet,
  type KeySetInput,
  type TrustedKey,
} from './key-set.js'

// Arguments, digests and action names (spec section 2)

export {
  ACTION_NAME_PATTERN,
  validateActionName,
} from './action-name.js'
export { type CanonicalArgs, canonicalArgs } from './canonical-args.js'
export { digestOf, isDigest, tokenDigest } from './digest.js'
export type { JsonLimits } from './json.js'

// One request, one view (spec section 10)

export {
  type HttpRequestInput,
  type HttpRequestView,
  type HttpRequestViewOptions,
  httpRequestView,
  type NormalizedHttpUri,
  normalizeHttpUri,
  type ReceivedHttpRequest,
  type ReceivedHttpRequestOptions,
  receivedHttpRequestView,
} from './http-view.js'

// Webhooks Writ sends (Standard Webhooks signatures)

export {
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  type VerifiedWebhook,
  type VerifyWebhookOptions,
  verifyWebhook,
  type WebhookHeaders,
} from './webhook.js'

// Errors and their stable codes

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
} from './errors.js'

// Wire types

export type {
  ApprovalReference,
  ChainLink,
  CheckpointClaims,
  DecisionKind,
  Digest,
  HoldClaim,
  HttpBinding,
  JsonObject,
  JsonValue,
  JwkSet,
  KeyStatus,
  PublicJwk,
  ReceiptClaims,
  ReplayCache,
  WritHeader,
} from './types.js'

// Transparency: Merkle trees, proofs, checkpoint notes and witnesses (spec section 12)

export { base64Decode, base64Encode } from './transparency/base64.js'
export {
  type BundleAssurance,
  type BundleReport,
  verifyBundle,
} from './transparency/bundle.js'
export {
  AUDIT_BUNDLE_FORMAT,
  type AuditBundle,
  type BundleApproval,
  type BundleTrust,
  parseAuditBundle,
  parseBundleTrust,
} from './transparency/bundle-format.js'
export {
  type CheckpointTrust,
  type CheckpointTrustInput,
  createCheckpointTrust,
  type VerifiedCheckpointNote,
  type VerifyCheckpointNoteOptions,
  verifyCheckpointNote,
} from './transparency/checkpoint-note.js'
export {
  cosignatureMessage,
  cosignCheckpointText,
  type NoteSigner,
  type SignBytes,
  signNoteText,
  verifyCosignature,
  verifyNoteSignature,
} from './transparency/cosignature.js'
export {
  type ConsistencyClaim,
  consistencyProofFrom,
  EMPTY_TREE_ROOT,
  type InclusionClaim,
  inclusionProofFrom,
  leafHash,
  leftSiblingsOf,
  MAX_TREE_SIZE,
  nodeHash,
  type Subtree,
  type SubtreeReader,
  subtreesAfterAppend,
  TREE_HASH_SIZE,
  treeRootFrom,
  verifyConsistency,
  verifyInclusion,
} from './transparency/merkle.js'
export {
  formatNote,
  formatVerifierKey,
  isKeyName,
  MAX_NOTE_LENGTH,
  MAX_NOTE_SIGNATURES,
  NOTE_COSIGNATURE_V1,
  NOTE_ED25519,
  type NoteSignature,
  type NoteVerifierKey,
  noteKeyId,
  noteSignatureLine,
  type ParsedNote,
  parseNote,
  parseVerifierKey,
  signatureBy,
} from './transparency/signed-note.js'
export {
  formatCheckpointText,
  parseCheckpointText,
  type TreeHead,
  writOrigin,
} from './transparency/tlog-checkpoint.js'
export {
  type AddCheckpointRequest,
  formatAddCheckpoint,
  MAX_WITNESS_PROOF_LINES,
  parseAddCheckpoint,
} from './transparency/witness-protocol.js'
