/**
 * Every failure in Writ is a {@link WritError} with a stable string `code`.
 * Programs branch on the code; the message is for people and may change.
 */

/** Codes a verifier reports (receipt spec section 8), in the order checks run. */
export const VERIFY_ERROR_CODES = [
  'MALFORMED',
  'HEADER_INVALID',
  'KEY_UNKNOWN',
  'KEY_WEAK',
  'KEY_REVOKED',
  'KEY_NOT_VALID_AT_TIME',
  'SIGNATURE_INVALID',
  'CLAIMS_INVALID',
  'NOT_PERMIT',
  'EXPIRED',
  'NOT_YET_VALID',
  'ACTION_MISMATCH',
  'ARGS_MISMATCH',
  'HTTP_MISMATCH',
  'AUDIENCE_MISMATCH',
  'LIFETIME_TOO_LONG',
  'REQUEST_MISMATCH',
  'REPLAYED',
  'CHAIN_GAP',
  'CHAIN_PREV_MISMATCH',
  'CHAIN_ID_MISMATCH',
  'CHECKPOINT_MISMATCH',
  'CHECKPOINT_ROLLBACK',
  'CHECKPOINT_INVALID',
  'KEYSET_INVALID',
  'REPLAY_CACHE_UNAVAILABLE',
  // Transparency (spec section 12)
  'NOTE_INVALID',
  'PROOF_INVALID',
  'CHECKPOINT_INCONSISTENT',
  'COSIGNATURE_INVALID',
  'WITNESS_QUORUM_NOT_MET',
  'TRUST_INVALID',
  'BUNDLE_INVALID',
] as const

/**
 * Codes for input that Writ refuses before deciding (receipt spec section 2).
 * A gate turns each of them into a DENY receipt with reason `INPUT_INVALID`.
 */
export const INPUT_ERROR_CODES = [
  'INPUT_SYNTAX',
  'INPUT_NOT_OBJECT',
  'INPUT_DUPLICATE_KEY',
  'INPUT_FORBIDDEN_KEY',
  'INPUT_LONE_SURROGATE',
  'INPUT_NON_FINITE_NUMBER',
  'INPUT_UNSAFE_INTEGER',
  'INPUT_UNSUPPORTED_TYPE',
  'INPUT_TOO_DEEP',
  'INPUT_TOO_LARGE',
  'ACTION_NAME_INVALID',
  'HTTP_REQUEST_INVALID',
  'HTTP_REQUEST_AMBIGUOUS',
] as const

/** Codes raised by the authority side (`@writ/core` and the packages built on it). */
export const AUTHORITY_ERROR_CODES = [
  'POLICY_INVALID',
  'POLICY_UNSAFE',
  'POLICY_SELF_TEST_FAILED',
  'KEY_MISSING',
  'KEY_INVALID',
  'STORE_UNAVAILABLE',
  'STORE_FULL',
  'STORE_CONFLICT',
  'GATE_TIMEOUT',
  'GATE_ERROR',
  'ACTION_REFUSED',
  'AUTHORITY_UNAVAILABLE',
  'AUTHORITY_RESPONSE_INVALID',
  'UNAUTHENTICATED',
  'BODY_NOT_HASHABLE',
  'BODY_TOO_LARGE',
  'RECEIPT_MISSING',
  'TOOL_UNKNOWN',
  'TOO_MANY_TOOL_CALLS',
  'TOOL_DEFINITION_CHANGED',
  'TOOL_NOT_PINNED',
  'RECEIVER_ERROR',
  'CONTEXT_NOT_ACCEPTED',
  'AGENT_NOT_ACCEPTED',
  'AUDIENCE_NOT_ALLOWED',
  'SESSION_INVALID',
  'SESSION_NOT_ACCEPTED',
  'RATE_LIMITED',
  'CONCURRENCY_LIMITED',
  'OPERATOR_REQUIRED',
  'SIGNER_UNAVAILABLE',
  'DEPENDENCY_MISSING',
] as const

/**
 * Codes of approvals (spec section 11): why an approval was refused.
 */
export const APPROVAL_ERROR_CODES = [
  'APPROVAL_MISMATCH',
  'APPROVER_IS_AGENT',
  'APPROVER_UNKNOWN',
  'APPROVAL_USED',
  'APPROVAL_EXPIRED',
  'APPROVAL_REJECTED',
  'APPROVAL_DUPLICATE',
  'APPROVAL_FORM_UNSUPPORTED',
  'HOLD_UNKNOWN',
  'HOLD_CLOSED',
  'APPROVAL_MISSING',
  'APPROVAL_QUORUM_UNMET',
] as const

/** A code of {@link APPROVAL_ERROR_CODES}. */
export type ApprovalErrorCode = (typeof APPROVAL_ERROR_CODES)[number]

/** A code of {@link VERIFY_ERROR_CODES}: why a token, key set, chain or permit was refused. */
export type VerifyErrorCode = (typeof VERIFY_ERROR_CODES)[number]
/** A code of {@link INPUT_ERROR_CODES}: why an action request was refused as input. */
export type InputErrorCode = (typeof INPUT_ERROR_CODES)[number]
/** A code of {@link AUTHORITY_ERROR_CODES}: raised by `@writ/core` and the packages built on it (policies, keys, stores, the gate, adapters, receivers). */
export type AuthorityErrorCode = (typeof AUTHORITY_ERROR_CODES)[number]
/** Every stable code a {@link WritError} can carry. */
export type WritErrorCode =
  | VerifyErrorCode
  | InputErrorCode
  | AuthorityErrorCode
  | ApprovalErrorCode

const marker = Symbol.for('writ.error')

/** Options of a {@link WritError}: the standard `cause`, plus structured details. */
export interface WritErrorOptions extends ErrorOptions {
  /** Machine-readable context: a JSON path, a chain position, a rule id. */
  readonly details?: Readonly<Record<string, unknown>>
}

/**
 * The one error class of Writ. Check it with {@link WritError.isInstance}, which
 * also recognises errors from a second copy of Writ in the same process.
 *
 * @example
 * ```ts
 * try { await verifyReceipt(token, keys) }
 * catch (error) { if (WritError.isInstance(error) && error.code === 'SIGNATURE_INVALID') … }
 * ```
 */
export class WritError extends Error {
  readonly code: WritErrorCode
  readonly details: Readonly<Record<string, unknown>> | undefined
  /** Brand that lets {@link WritError.isInstance} recognise errors across installed copies. */
  readonly [marker] = true

  constructor(code: WritErrorCode, message: string, options: WritErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'WritError'
    this.code = code
    this.details = options.details
  }

  /** True for any Writ error, including one thrown by another installed copy of Writ. */
  static isInstance(error: unknown): error is WritError {
    return (
      typeof error === 'object' &&
      error !== null &&
      (error as Record<symbol, unknown>)[marker] === true
    )
  }

  /** A JSON-safe view, for logs and problem+json bodies. */
  toJSON(): { code: WritErrorCode; message: string; details?: Readonly<Record<string, unknown>> } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details }
  }
}

/** True when `code` is one of the input refusals of spec section 2. */
export function isInputErrorCode(code: string): code is InputErrorCode {
  return (INPUT_ERROR_CODES as readonly string[]).includes(code)
}
