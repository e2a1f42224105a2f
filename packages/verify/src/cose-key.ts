/**
 * COSE public keys (RFC 9052/9053) as WebAuthn stores them, decoded from their CBOR bytes
 * and turned into a signature check. Only what passkeys use: ES256 (P-256), EdDSA
 * (Ed25519) and RS256. Runs on WebCrypto, so it works in browsers as in Node.
 */
import { verifyEd25519 } from './ed25519.js'
import { base64UrlEncode, concatBytes } from './encoding.js'
import { WritError } from './errors.js'

type CborValue = number | Uint8Array | string | Map<CborValue, CborValue>

const MAX_COSE_KEY_BYTES = 4096

function malformed(message: string): WritError {
  return new WritError('MALFORMED', `COSE key: ${message}`)
}

/** Decodes the small CBOR subset a COSE key uses: integers, byte and text strings, maps. */
function decodeCbor(bytes: Uint8Array): CborValue {
  let offset = 0
  const byte = (): number => {
    if (offset >= bytes.length) throw malformed('truncated')
    return bytes[offset++]!
  }
  const length = (info: number): number => {
    if (info < 24) return info
    let size: number
    if (info === 24) size = 1
    else if (info === 25) size = 2
    else if (info === 26) size = 4
    else throw malformed('unsupported length')
    let value = 0
    for (let index = 0; index < size; index++) value = value * 256 + byte()
    return value
  }
  const item = (depth: number): CborValue => {
    if (depth > 4) throw malformed('too deep')
    const initial = byte()
    const major = initial >> 5
    const count = length(initial & 31)
    if (major === 0) return count
    if (major === 1) return -1 - count
    if (major === 2 || major === 3) {
      if (offset + count > bytes.length) throw malformed('truncated')
      const slice = bytes.slice(offset, offset + count)
      offset += count
      return major === 2 ? slice : new TextDecoder('utf-8', { fatal: true }).decode(slice)
    }
    if (major === 5) {
      const map = new Map<CborValue, CborValue>()
      for (let index = 0; index < count; index++) {
        const key = item(depth + 1)
        if (map.has(key)) throw malformed('duplicate key')
        map.set(key, item(depth + 1))
      }
      return map
    }
    throw malformed('unsupported CBOR type')
  }
  const value = item(0)
  if (offset !== bytes.length) throw malformed('trailing bytes')
  return value
}

/** A decoded COSE public key, ready to verify. */
export interface CoseKey {
  /** The COSE algorithm: -7 (ES256), -8 (EdDSA) or -257 (RS256). */
  readonly alg: -7 | -8 | -257
  /** Verifies `signature` over `message`. Never throws on a bad signature. */
  verify(signature: Uint8Array, message: Uint8Array): Promise<boolean>
}

function bytesMember(map: Map<CborValue, CborValue>, label: number, size?: number): Uint8Array {
  const value = map.get(label)
  if (!(value instanceof Uint8Array) || (size !== undefined && value.length !== size)) {
    throw malformed(`member ${label} is not ${size ?? 'a byte string'}`)
  }
  return value
}

/**
 * Decodes a COSE public key (the bytes WebAuthn registration returns).
 *
 * @throws WritError `MALFORMED` for anything but an ES256, EdDSA (Ed25519) or RS256 key.
 */
export function decodeCoseKey(bytes: Uint8Array): CoseKey {
  if (bytes.length > MAX_COSE_KEY_BYTES) throw malformed('too large')
  const map = decodeCbor(bytes)
  if (!(map instanceof Map)) throw malformed('not a map')
  const kty = map.get(1)
  const alg = map.get(3)
  if (kty === 2 && alg === -7 && map.get(-1) === 1) {
    return ecKey(bytesMember(map, -2, 32), bytesMember(map, -3, 32))
  }
  if (kty === 1 && alg === -8 && map.get(-1) === 6) {
    const publicKey = bytesMember(map, -2, 32)
    return {
      alg: -8,
      verify: (signature, message) => verifyEd25519(signature, message, publicKey),
    }
  }
  if (kty === 3 && alg === -257) {
    return rsaKey(bytesMember(map, -1), bytesMember(map, -2))
  }
  throw malformed('unsupported key type or algorithm')
}

function subtle(): SubtleCrypto {
  const value = (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle
  if (value === undefined) throw new WritError('MALFORMED', 'This runtime has no WebCrypto.')
  return value
}

function ecKey(x: Uint8Array, y: Uint8Array): CoseKey {
  const jwk = { kty: 'EC', crv: 'P-256', x: base64UrlEncode(x), y: base64UrlEncode(y) }
  return {
    alg: -7,
    async verify(signature, message) {
      const raw = rawEcdsaSignature(signature)
      if (raw === undefined) return false
      try {
        const key = await subtle().importKey(
          'jwk',
          jwk,
          { name: 'ECDSA', namedCurve: 'P-256' },
          false,
          ['verify'],
        )
        return await subtle().verify(
          { name: 'ECDSA', hash: 'SHA-256' },
          key,
          raw as Uint8Array<ArrayBuffer>,
          message as Uint8Array<ArrayBuffer>,
        )
      } catch {
        return false
      }
    },
  }
}

function rsaKey(modulus: Uint8Array, exponent: Uint8Array): CoseKey {
  if (modulus.length < 256) throw malformed('RSA keys shorter than 2048 bits are refused')
  const jwk = { kty: 'RSA', n: base64UrlEncode(modulus), e: base64UrlEncode(exponent) }
  return {
    alg: -257,
    async verify(signature, message) {
      try {
        const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
        const key = await subtle().importKey('jwk', jwk, algorithm, false, ['verify'])
        return await subtle().verify(
          algorithm,
          key,
          signature as Uint8Array<ArrayBuffer>,
          message as Uint8Array<ArrayBuffer>,
        )
      } catch {
        return false
      }
    },
  }
}

/**
 * Turns a DER ECDSA signature (what WebAuthn returns) into the 64-byte `r || s` WebCrypto
 * verifies; `undefined` for anything that is not strict DER of two P-256 integers.
 */
export function rawEcdsaSignature(der: Uint8Array): Uint8Array | undefined {
  if (der.length < 8 || der.length > 72 || der[0] !== 0x30 || der[1] !== der.length - 2) {
    return undefined
  }
  const r = derInteger(der, 2)
  if (r === undefined) return undefined
  const s = derInteger(der, r.next)
  if (s === undefined || s.next !== der.length) return undefined
  return concatBytes([r.value, s.value], 64)
}

function derInteger(
  der: Uint8Array,
  start: number,
): { value: Uint8Array; next: number } | undefined {
  if (der[start] !== 0x02) return undefined
  const size = der[start + 1]
  if (size === undefined || size === 0 || size > 33) return undefined
  const begin = start + 2
  const end = begin + size
  if (end > der.length) return undefined
  let bytes = der.subarray(begin, end)
  // Strict DER: a leading zero only where the next byte has its high bit set.
  if (bytes[0] === 0 && (bytes.length === 1 || (bytes[1]! & 0x80) === 0)) return undefined
  if ((bytes[0]! & 0x80) !== 0) return undefined
  if (bytes[0] === 0) bytes = bytes.subarray(1)
  if (bytes.length > 32) return undefined
  const value = new Uint8Array(32)
  value.set(bytes, 32 - bytes.length)
  return { value, next: end }
}
