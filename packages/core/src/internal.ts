/**
 * `@writ/core/internal`: names Writ's own packages, tests and benchmarks share, and
 * nobody else should use. No stability promise: anything here may change or go in any
 * release, without notice. Applications, adapters and stores use `@writ/core`.
 *
 * @internal
 * @packageDocumentation
 */

// How a DENY receipt records an invalid action name, as given
export {
  EMPTY_ACTION_NAME,
  escapeActionName,
  MAX_ESCAPED_ACTION_NAME_LENGTH,
} from './action-name-escape.js'
// Signing with an asynchronous signer, bounded by a deadline
export { signBefore } from './async-signer.js'
// Policy internals: action patterns, conditions, regular expressions, the schema
export { matchesAction } from './policy/action-pattern.js'
export {
  CONDITION_VARIABLES,
  type CompiledCondition,
  type ConditionActivation,
  ConditionEvaluationError,
  compileCondition,
  type ExpressionLimits,
  type ExpressionLocation,
  type ExpressionWarning,
  MAX_MACRO_NESTING,
} from './policy/cel.js'
export { parseExpressionTree } from './policy/cel-tree.js'
export { analyzeRegex, MAX_REGEX_LENGTH, type RegexVerdict } from './policy/regex-safety.js'
export {
  ACTION_PATTERN_PATTERN,
  POLICY_ID_PATTERN,
  policyDocumentSchema,
  REASON_PATTERN,
  WINDOW_PATTERN,
} from './policy/schema.js'
// Receipts and checkpoints, claims and signatures byte for byte
export {
  CHECKPOINT_TYPE,
  checkpointClaims,
  checkpointSigningInput,
  encodeCheckpoint,
  encodeReceipt,
  joinSignature,
  RECEIPT_TYPE,
  type ReceiptContent,
  receiptClaims,
  receiptSigningInput,
  type SigningInput,
} from './receipt-issuer.js'

// The remote gate's rule for where keys may be fetched from
export { isTrustedKeyLocation } from './remote-gate.js'
// The signed session header of writ serve, as the server checks it
export {
  decodeSessionKey,
  SESSION_HEADER_PATTERN,
  SESSION_ID_PATTERN,
  sessionMacInput,
} from './session-header.js'
// The signer behind a key ring, and the UUIDv7 ids of receipts and requests
export {
  createSigner,
  defaultSignerBackend,
  publicKeyFromSeed,
  type SignerBackend,
} from './signer.js'
export { createUuidV7Generator, type UuidV7Generator, uuidV7 } from './uuid-v7.js'
