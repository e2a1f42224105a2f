import { Point } from '@noble/ed25519'
import { sha512 } from '@noble/hashes/sha2.js'
import { bytesEqual, bytesToHex } from './encoding.js'
import { getNodeCrypto } from './node-crypto.js'

/**
 * Strict Ed25519 verification (spec section 6), identical on every runtime.
 *
 * The strictness lives here, in portable code, and runs before any backend:
 * wrong lengths, non-canonical encodings of A or R (y ≥ p, or x = 0 with the sign bit
 * set), `S ≥ L`, and small-order A or R are refused. Only then does a backend run the
 * cofactorless equation `[S]B = R + [k]A`: `node:crypto` (OpenSSL) in Node, WebCrypto in
 * browsers and edge runtimes, or `@noble/ed25519` point arithmetic where neither exists.
 */

/** A verification backend. All give the same answer on every input after the strict checks. */
export type Ed25519Backend = 'node' | 'webcrypto' | 'noble'

/** The group order L = 2^252 + 27742317777372353535851937790883648493. */
const GROUP_ORDER = 2n ** 252n + 27742317777372353535851937790883648493n

let forcedBackend: Ed25519Backend | undefined
let webCryptoUnsupported = false

/**
 * Forces a backend for every later {@link verifyEd25519} call, or `'auto'` (the default) to
 * pick `node` in Node, else `webcrypto` when it supports Ed25519, else `noble`.
 * Meant for tests and benchmarks; results do not depend on the backend.
 */
export function setEd25519Backend(backend: Ed25519Backend | 'auto'): void {
  if (backend !== 'auto' && backend !== 'node' && backend !== 'webcrypto' && backend !== 'noble') {
    throw new TypeError(`unknown Ed25519 backend: ${String(backend)}`)
  }
  forcedBackend = backend === 'auto' ? undefined : backend
}

/** The backend {@link verifyEd25519} uses now (after `'auto'` is resolved). */
export function getEd25519Backend(): Ed25519Backend {
  if (forcedBackend !== undefined) return forcedBackend
  if (getNodeCrypto() !== undefined) return 'node'
  if (!webCryptoUnsupported && getSubtle() !== undefined) return 'webcrypto'
  return 'noble'
}

/** True when `backend` can verify on this runtime (WebCrypto must support Ed25519). */
export async function isEd25519BackendAvailable(backend: Ed25519Backend): Promise<boolean> {
  switch (backend) {
    case 'node':
      return getNodeCrypto() !== undefined
    case 'noble':
      return true
    case 'webcrypto': {
      const subtle = getSubtle()
      if (subtle === undefined) return false
      try {
        await subtle.importKey('raw', BASE_POINT_BYTES, { name: 'Ed25519' }, false, ['verify'])
        return true
      } catch {
        return false
      }
    }
    default:
      return false
  }
}

/** Options of {@link verifyEd25519}. */
export interface VerifyEd25519Options {
  /** Use this backend for this call instead of the configured one. */
  readonly backend?: Ed25519Backend
}

/**
 * Verifies an Ed25519 signature strictly (RFC 8032 cofactorless, plus the refusals of spec
 * section 6). Never throws on bad input: every failure, including a backend error, is `false`.
 *
 * @example
 * ```ts
 * if (!(await verifyEd25519(signature, message, publicKey))) throw new Error('forged')
 * ```
 */
export async function verifyEd25519(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
  options: VerifyEd25519Options = {},
): Promise<boolean> {
  if (!(signature instanceof Uint8Array) || signature.length !== 64) return false
  if (!(message instanceof Uint8Array)) return false
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return false
  const encodedR = signature.subarray(0, 32)
  if (scalarFromBytes(signature.subarray(32, 64)) >= GROUP_ORDER) return false
  const pointA = strictPublicKey(publicKey)
  if (pointA === undefined) return false
  // R needs no decoding: a canonical y and not a small-order encoding is the whole rule.
  // An R that is not on the curve fails the equation below on every backend, since every
  // backend compares the encoding of [S]B − [k]A with the bytes of R.
  if (!isCanonicalY(encodedR) || isSmallOrderEncoding(encodedR)) return false

  const backend = options.backend ?? getEd25519Backend()
  try {
    switch (backend) {
      case 'node':
        return verifyWithNode(signature, message, publicKey)
      case 'webcrypto':
        return await verifyWithWebCrypto(
          signature,
          message,
          publicKey,
          options.backend === undefined && forcedBackend === undefined,
        )
      case 'noble':
        return verifyWithNoble(signature, message, publicKey, pointA)
      default:
        return false
    }
  } catch {
    // A backend that fails can only refuse: fail closed.
    return false
  }
}

/**
 * True when `publicKey` must never be trusted: not 32 bytes, not a canonical encoding of a
 * curve point, or a point of small order (the identity and the other 7 torsion points, which
 * let anyone forge signatures that stock verifiers accept).
 */
export function isWeakPublicKey(publicKey: Uint8Array): boolean {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return true
  const point = decodeStrictPoint(publicKey)
  return point === undefined || point.isSmallOrder()
}

const MAX_CACHED_KEYS = 256
const checkedKeys = new Map<string, Point | null>()

/** The decoded public key when it is strong, else `undefined`; cached per key. */
function strictPublicKey(publicKey: Uint8Array): Point | undefined {
  const cacheKey = bytesToHex(publicKey)
  let point = checkedKeys.get(cacheKey)
  if (point === undefined) {
    const decoded = decodeStrictPoint(publicKey)
    point = decoded === undefined || decoded.isSmallOrder() ? null : decoded
    if (checkedKeys.size >= MAX_CACHED_KEYS) checkedKeys.clear()
    checkedKeys.set(cacheKey, point)
  }
  return point ?? undefined
}

/** True when the 255-bit y of an encoding is below p = 2^255 − 19 (the sign bit is ignored). */
export function isCanonicalY(encoding: Uint8Array): boolean {
  if ((encoding[31]! & 0x7f) !== 0x7f) return true
  for (let index = 30; index >= 1; index--) if (encoding[index] !== 0xff) return true
  return encoding[0]! < 0xed
}

/**
 * Encodings with a canonical y that decode to one of the 8 points of small order (or are the
 * non-canonical "x = 0, sign 1" forms of two of them): identity, the point of order 2, the two
 * of order 4 and the four of order 8. Together with {@link isCanonicalY} this is the complete
 * small-order rule; the test suite recomputes the list from the curve.
 */
const SMALL_ORDER_ENCODINGS: ReadonlySet<string> = new Set([
  '0100000000000000000000000000000000000000000000000000000000000000', // identity (0, 1)
  '0100000000000000000000000000000000000000000000000000000000000080', // identity, sign bit set
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f', // order 2 (0, −1)
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff', // order 2, sign bit set
  '0000000000000000000000000000000000000000000000000000000000000000', // order 4 (√−1, 0)
  '0000000000000000000000000000000000000000000000000000000000000080', // order 4 (−√−1, 0)
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a', // order 8
  'c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa', // order 8
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05', // order 8
  '26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85', // order 8
])

/** True when `encoding` (with a canonical y) is a point of small order. @internal */
export function isSmallOrderEncoding(encoding: Uint8Array): boolean {
  return SMALL_ORDER_ENCODINGS.has(bytesToHex(encoding))
}

/**
 * Decodes a point per RFC 8032 section 5.1.3, strictly: y < p, on the curve, and not the
 * non-canonical "x = 0 with sign bit 1" form. Returns `undefined` when any of that fails.
 */
function decodeStrictPoint(bytes: Uint8Array): Point | undefined {
  try {
    return Point.fromBytes(bytes, false)
  } catch {
    return undefined
  }
}

function scalarFromBytes(bytes: Uint8Array): bigint {
  let value = 0n
  for (let index = bytes.length - 1; index >= 0; index--)
    value = (value << 8n) | BigInt(bytes[index]!)
  return value
}

const BASE_POINT_BYTES = Point.BASE.toBytes()

function verifyWithNoble(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
  pointA: Point,
): boolean {
  const encodedR = signature.subarray(0, 32)
  const scalarS = scalarFromBytes(signature.subarray(32, 64))
  const hashInput = new Uint8Array(64 + message.length)
  hashInput.set(encodedR, 0)
  hashInput.set(publicKey, 32)
  hashInput.set(message, 64)
  const challenge = scalarFromBytes(sha512(hashInput)) % GROUP_ORDER
  // Cofactorless: R must equal [S]B − [k]A exactly. R is canonical (checked), so comparing
  // encodings is comparing points.
  const expected = Point.BASE.multiply(scalarS, false).subtract(pointA.multiply(challenge, false))
  return bytesEqual(expected.toBytes(), encodedR)
}

// SubjectPublicKeyInfo prefix for an Ed25519 key (RFC 8410): SEQUENCE { SEQUENCE { OID 1.3.101.112 }, BIT STRING }
const SPKI_PREFIX = new Uint8Array([
  0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
])
const nodeKeys = new Map<string, unknown>()

function verifyWithNode(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
): boolean {
  const nodeCrypto = getNodeCrypto()
  if (nodeCrypto === undefined) return false
  const cacheKey = bytesToHex(publicKey)
  let key = nodeKeys.get(cacheKey)
  if (key === undefined) {
    const der = new Uint8Array(SPKI_PREFIX.length + 32)
    der.set(SPKI_PREFIX, 0)
    der.set(publicKey, SPKI_PREFIX.length)
    key = nodeCrypto.createPublicKey({ key: der, format: 'der', type: 'spki' })
    if (nodeKeys.size >= MAX_CACHED_KEYS) nodeKeys.clear()
    nodeKeys.set(cacheKey, key)
  }
  return nodeCrypto.verify(null, message, key, signature) === true
}

function getSubtle(): SubtleCrypto | undefined {
  const subtle = (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle
  return subtle ?? undefined
}

const webKeys = new Map<string, Promise<CryptoKey>>()

async function verifyWithWebCrypto(
  signature: Uint8Array,
  message: Uint8Array,
  publicKey: Uint8Array,
  fallBack: boolean,
): Promise<boolean> {
  const subtle = getSubtle()
  if (subtle === undefined) {
    if (fallBack)
      return verifyWithNoble(signature, message, publicKey, Point.fromBytes(publicKey, false))
    return false
  }
  const cacheKey = bytesToHex(publicKey)
  let key = webKeys.get(cacheKey)
  if (key === undefined) {
    key = subtle.importKey('raw', copy(publicKey), { name: 'Ed25519' }, false, ['verify'])
    if (webKeys.size >= MAX_CACHED_KEYS) webKeys.clear()
    webKeys.set(cacheKey, key)
  }
  let cryptoKey: CryptoKey
  try {
    cryptoKey = await key
  } catch (error) {
    webKeys.delete(cacheKey)
    if (fallBack) {
      // This runtime's WebCrypto has no Ed25519: use noble from now on, with the same result.
      webCryptoUnsupported = true
      return verifyWithNoble(signature, message, publicKey, Point.fromBytes(publicKey, false))
    }
    throw error
  }
  return await subtle.verify({ name: 'Ed25519' }, cryptoKey, copy(signature), copy(message))
}

/** A copy backed by a plain ArrayBuffer, as WebCrypto's types require. */
function copy(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  const result = new Uint8Array(bytes.length)
  result.set(bytes)
  return result
}
