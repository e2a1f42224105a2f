// The gate

export type {
  ChainLink,
  CheckpointClaims,
  Digest,
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
// From @writ/verify: the errors and wire types users of the gate need
export {
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
// How a DENY receipt records an invalid action name, as given
export {
  EMPTY_ACTION_NAME,
  escapeActionName,
  MAX_ESCAPED_ACTION_NAME_LENGTH,
} from './action-name-escape.js'
export {
  createGate,
  DEFAULT_AGENT,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_TTL_SECONDS,
  type GateOptions,
  type LocalGate,
  MAX_TTL_SECONDS,
} from './gate.js'
export { type GuardOutcome, guardAction, guardOutcome, wrapAction } from './gate-helpers.js'
// Executing exactly what was signed: adapters check a tool's own parse of the arguments
export { assertArgsUnchanged, jsonEqual } from './json-equal.js'
export {
  createKeyRing,
  isKeyRing,
  type KeyRing,
  type KeyRingDocument,
  type KeyRingOptions,
  loadKeyRing,
} from './key-ring.js'

// Keys and signing
export {
  type GenerateSigningKeyOptions,
  generateSigningKey,
  loadSigningKey,
  type ParsedSigningKey,
  type PrivateSigningJwk,
  parseSigningKey,
  readKeyFile,
  type SigningKeySource,
} from './keys.js'
// Stores
export { createMemoryStore } from './memory-store.js'
// The policy engine
export * from './policy/index.js'

// Receipts and checkpoints
export {
  CHECKPOINT_TYPE,
  checkpointClaims,
  encodeCheckpoint,
  encodeReceipt,
  RECEIPT_TYPE,
  type ReceiptContent,
  receiptClaims,
} from './receipt-issuer.js'
// Refusals
export { ActionRefusedError, type RefusalPayload, refusalOf, refusalPayload } from './refusal.js'
// A remote authority (`writ serve`) as a gate
export { createRemoteGate, isTrustedKeyLocation, type RemoteGateOptions } from './remote-gate.js'
export {
  createSigner,
  defaultSignerBackend,
  publicKeyFromSeed,
  type Signer,
  type SignerBackend,
} from './signer.js'
export { DEFAULT_MAX_TOOL_CALLS, maxToolCallsOf, tooManyToolCallsError } from './tool-call-limit.js'
// Contracts
export type {
  ActionRequest,
  AppendContext,
  AppendOptions,
  ChainPosition,
  Decision,
  DecisionKind,
  Gate,
  InputProblem,
  IssuedReceipt,
  LimitCheck,
  PermitDecision,
  RefusalDecision,
  Store,
  StoredCheckpoint,
  StoredReceipt,
  WrapOptions,
} from './types.js'
export { createUuidV7Generator, type UuidV7Generator, uuidV7 } from './uuid-v7.js'
