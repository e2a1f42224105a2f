/**
 * `@writ/verify/internal`: names Writ's own packages, tests and benchmarks share, and
 * nobody else should use. No stability promise: anything here may change or go in any
 * release, without notice. Verifiers and executors use `@writ/verify`.
 *
 * @internal
 * @packageDocumentation
 */

// Bytes, encodings and hashes

export { DIGEST_PATTERN, sha256 } from './digest.js'
export {
  base64UrlDecode,
  base64UrlEncode,
  bytesEqual,
  bytesToHex,
  concatBytes,
  findLoneSurrogate,
  hexToBytes,
  utf8ByteLength,
  utf8Decode,
  utf8Encode,
} from './encoding.js'
export { hmacSha256, verifyHmacSha256 } from './hmac.js'
export { readStreamBytes } from './read-stream.js'
export { base64Decode, base64Encode } from './webhook.js'

// Strict JSON, canonical JSON and frozen values (spec section 2)

export { bestEffortDigest } from './canonical-args.js'
export { canonicalize } from './canonicalize.js'
export { deepFreeze } from './deep-freeze.js'
export {
  DEFAULT_JSON_LIMITS,
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_DEPTH,
  FORBIDDEN_KEYS,
  isForbiddenKey,
  parseJson,
} from './json.js'

// Tokens: decoding, claims schemas, strict Ed25519, key sets (spec sections 1, 5, 6 and 8)

export {
  checkCheckpointClaims,
  checkReceiptClaims,
  checkRefs,
  DECISIONS,
  MAX_REFS,
} from './claims.js'
export { isWeakPublicKey, type VerifyEd25519Options, verifyEd25519 } from './ed25519.js'
export { type DecodedJws, decodeJws, MAX_TOKEN_LENGTH, type WritTokenType } from './jws.js'
export { isKeySet } from './key-set.js'

// Parts of the HTTP request view (spec section 10)

export { checkOrigin, MAX_URI_LENGTH, removeDotSegments } from './http-view.js'
