// Errors

export {
  ACTION_NAME_PATTERN,
  type ActionNameMapping,
  resolveActionName,
  validateActionName,
} from './action-name.js'
export { bestEffortDigest, type CanonicalArgs, canonicalArgs } from './canonical-args.js'
// Canonical JSON and input rules (spec section 2)
export { canonicalize } from './canonicalize.js'
export {
  type ChainReport,
  type InvalidChainReport,
  type ValidChainReport,
  type VerifyChainOptions,
  verifyChain,
} from './chain.js'
export { type VerifiedCheckpoint, verifyCheckpoint } from './checkpoint.js'
// Receipts, checkpoints and chains (spec sections 2, 5 and 8)
export { checkCheckpointClaims, checkReceiptClaims, DECISIONS } from './claims.js'
export { deepFreeze } from './deep-freeze.js'
export { DIGEST_PATTERN, digestOf, isDigest, sha256, tokenDigest } from './digest.js'
// Strict Ed25519 (spec section 6)
export {
  type Ed25519Backend,
  getEd25519Backend,
  isEd25519BackendAvailable,
  isWeakPublicKey,
  setEd25519Backend,
  type VerifyEd25519Options,
  verifyEd25519,
} from './ed25519.js'
// Encodings and digests
export {
  base64UrlDecode,
  base64UrlEncode,
  bytesEqual,
  bytesToHex,
  findLoneSurrogate,
  hexToBytes,
  utf8ByteLength,
  utf8Decode,
  utf8Encode,
} from './encoding.js'
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
} from './errors.js'
// One request, one view (spec section 10)
export {
  checkOrigin,
  type HttpRequestInput,
  type HttpRequestView,
  type HttpRequestViewOptions,
  httpRequestView,
  MAX_URI_LENGTH,
  type NormalizedHttpUri,
  normalizeHttpUri,
  type ReceivedHttpRequest,
  type ReceivedHttpRequestOptions,
  receivedHttpRequestView,
  removeDotSegments,
} from './http-view.js'
export {
  DEFAULT_JSON_LIMITS,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_DEPTH,
  FORBIDDEN_KEYS,
  isForbiddenKey,
  type JsonLimits,
  parseJson,
} from './json.js'
// Tokens and keys (spec sections 1 and 6)
export { type DecodedJws, decodeJws, MAX_TOKEN_LENGTH, type WritTokenType } from './jws.js'
export {
  createKeySet,
  isKeySet,
  jwkThumbprint,
  type KeySet,
  type KeySetInput,
  type TrustedKey,
} from './key-set.js'
// Executing on a receipt (spec section 7)
export {
  checkPermit,
  DEFAULT_MAX_LIFETIME_SECONDS,
  DEFAULT_SKEW_SECONDS,
  type PermitExpectation,
  verifyPermit,
} from './permit.js'
export { type VerifiedReceipt, verifyReceipt } from './receipt.js'
export { createMemoryReplayCache, type MemoryReplayCacheOptions } from './replay-cache.js'
// Wire types
export type {
  ChainLink,
  CheckpointClaims,
  DecisionKind,
  Digest,
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
