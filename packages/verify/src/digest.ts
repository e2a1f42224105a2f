import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js'
import { base64UrlEncode, bytesToHex, utf8Encode } from './encoding.js'
import { getNodeCrypto } from './node-crypto.js'
import type { Digest } from './types.js'

/** A digest as written on the wire: `sha256:` and 64 lowercase hex digits. */
export const DIGEST_PATTERN: RegExp = /^sha256:[0-9a-f]{64}$/

/**
 * SHA-256 of bytes, or of the UTF-8 bytes of a string. Uses `node:crypto` in Node and
 * `@noble/hashes` elsewhere; both give the same bytes.
 */
export function sha256(input: Uint8Array | string): Uint8Array {
  const nodeCrypto = getNodeCrypto()
  if (nodeCrypto?.hash !== undefined) {
    // One call, no hash object. Node hashes a string's UTF-8 bytes itself (lone
    // surrogates as U+FFFD, as TextEncoder writes them). The digest comes back as latin1
    // text, one character a byte: cheaper to read into fresh bytes than a Node buffer.
    const text = nodeCrypto.hash('sha256', input, 'latin1')
    const digest = new Uint8Array(32)
    for (let index = 0; index < 32; index++) digest[index] = text.charCodeAt(index)
    return digest
  }
  const bytes = typeof input === 'string' ? utf8Encode(input) : input
  if (nodeCrypto !== undefined) {
    // A copy, so that callers never hold a view into a Node buffer pool.
    return new Uint8Array(nodeCrypto.createHash('sha256').update(bytes).digest())
  }
  return nobleSha256(bytes)
}

/** The wire digest of bytes or of a string's UTF-8 bytes: `sha256:` + lowercase hex. */
export function digestOf(input: Uint8Array | string): Digest {
  const nodeCrypto = getNodeCrypto()
  if (nodeCrypto?.hash !== undefined) return `sha256:${nodeCrypto.hash('sha256', input, 'hex')}`
  if (nodeCrypto !== undefined) {
    // Node hashes a string's UTF-8 bytes without a copy here (lone surrogates as U+FFFD,
    // as TextEncoder writes them) and writes the hex itself.
    return `sha256:${nodeCrypto.createHash('sha256').update(input).digest('hex')}`
  }
  return `sha256:${bytesToHex(nobleSha256(typeof input === 'string' ? utf8Encode(input) : input))}`
}

/**
 * The digest that links receipts in a chain and names a chain's head: SHA-256 of the
 * ASCII bytes of the compact token, exactly as issued (spec section 5).
 */
export function tokenDigest(token: string): Digest {
  return digestOf(token)
}

/** True when `value` is a well-formed wire digest (`sha256:` + 64 lowercase hex digits). */
export function isDigest(value: unknown): value is Digest {
  return typeof value === 'string' && DIGEST_PATTERN.test(value)
}

/** SHA-256 as base64url, as used by JWK thumbprints. @internal */
export function sha256Base64Url(input: Uint8Array | string): string {
  return base64UrlEncode(sha256(input))
}
