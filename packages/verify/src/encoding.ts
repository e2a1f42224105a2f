import { WritError } from './errors.js'

/**
 * Byte encodings used on the wire: strict base64url (RFC 4648 section 5, no padding),
 * UTF-8 and lowercase hex. Every decoder refuses what it would not produce itself, so
 * one value has exactly one encoding.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

const DECODE_TABLE: Int16Array = (() => {
  const table = new Int16Array(128).fill(-1)
  for (let index = 0; index < ALPHABET.length; index++) table[ALPHABET.charCodeAt(index)] = index
  return table
})()

/** Encodes bytes as base64url without padding. */
export function base64UrlEncode(bytes: Uint8Array): string {
  let output = ''
  let index = 0
  for (; index + 2 < bytes.length; index += 3) {
    const chunk = (bytes[index]! << 16) | (bytes[index + 1]! << 8) | bytes[index + 2]!
    output +=
      ALPHABET[(chunk >> 18) & 63]! +
      ALPHABET[(chunk >> 12) & 63]! +
      ALPHABET[(chunk >> 6) & 63]! +
      ALPHABET[chunk & 63]!
  }
  const remaining = bytes.length - index
  if (remaining === 1) {
    const chunk = bytes[index]! << 16
    output += ALPHABET[(chunk >> 18) & 63]! + ALPHABET[(chunk >> 12) & 63]!
  } else if (remaining === 2) {
    const chunk = (bytes[index]! << 16) | (bytes[index + 1]! << 8)
    output +=
      ALPHABET[(chunk >> 18) & 63]! + ALPHABET[(chunk >> 12) & 63]! + ALPHABET[(chunk >> 6) & 63]!
  }
  return output
}

/**
 * Decodes strict base64url: only the URL-safe alphabet, no padding, no whitespace, and the
 * unused low bits of the last character must be zero (so the encoding is canonical).
 *
 * @throws WritError `MALFORMED` on anything else.
 */
export function base64UrlDecode(text: string): Uint8Array {
  if (typeof text !== 'string') throw new WritError('MALFORMED', 'base64url input is not a string')
  const length = text.length
  if (length % 4 === 1) throw new WritError('MALFORMED', 'base64url input has an impossible length')
  const values = new Uint8Array(length)
  for (let index = 0; index < length; index++) {
    const code = text.charCodeAt(index)
    const value = code < 128 ? DECODE_TABLE[code]! : -1
    if (value < 0) {
      throw new WritError('MALFORMED', 'base64url input has a character outside the alphabet', {
        details: { offset: index },
      })
    }
    values[index] = value
  }
  const output = new Uint8Array(Math.floor((length * 3) / 4))
  let outputIndex = 0
  let index = 0
  for (; index + 3 < length; index += 4) {
    const chunk =
      (values[index]! << 18) |
      (values[index + 1]! << 12) |
      (values[index + 2]! << 6) |
      values[index + 3]!
    output[outputIndex++] = (chunk >> 16) & 255
    output[outputIndex++] = (chunk >> 8) & 255
    output[outputIndex++] = chunk & 255
  }
  const remaining = length - index
  if (remaining === 2) {
    const chunk = (values[index]! << 18) | (values[index + 1]! << 12)
    if ((chunk & 0xffff) !== 0) throw nonCanonical()
    output[outputIndex++] = (chunk >> 16) & 255
  } else if (remaining === 3) {
    const chunk = (values[index]! << 18) | (values[index + 1]! << 12) | (values[index + 2]! << 6)
    if ((chunk & 0xff) !== 0) throw nonCanonical()
    output[outputIndex++] = (chunk >> 16) & 255
    output[outputIndex++] = (chunk >> 8) & 255
  }
  return output
}

function nonCanonical(): WritError {
  return new WritError('MALFORMED', 'base64url input has non-zero trailing bits (not canonical)')
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Encodes a string as UTF-8. Lone surrogates become U+FFFD; check them first where it matters. */
export function utf8Encode(text: string): Uint8Array {
  return encoder.encode(text)
}

/**
 * Decodes UTF-8 strictly: invalid sequences are refused, a BOM is kept as U+FEFF.
 *
 * @throws WritError `MALFORMED` on invalid UTF-8.
 */
export function utf8Decode(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes)
  } catch (error) {
    throw new WritError('MALFORMED', 'input is not valid UTF-8', { cause: error })
  }
}

/** Number of bytes of the UTF-8 encoding of `text` (a lone surrogate counts as 3, like U+FFFD). */
export function utf8ByteLength(text: string): number {
  let total = 0
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index)
    if (code < 0x80) total += 1
    else if (code < 0x800) total += 2
    else if (code >= 0xd800 && code <= 0xdbff && index + 1 < text.length) {
      const next = text.charCodeAt(index + 1)
      if (next >= 0xdc00 && next <= 0xdfff) {
        total += 4
        index++
      } else total += 3
    } else total += 3
  }
  return total
}

/**
 * Index of the first lone surrogate code unit in `text`, or `-1` when the string is
 * well-formed UTF-16.
 */
export function findLoneSurrogate(text: string): number {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index)
    if (code < 0xd800 || code > 0xdfff) continue
    if (code <= 0xdbff) {
      const next = index + 1 < text.length ? text.charCodeAt(index + 1) : 0
      if (next >= 0xdc00 && next <= 0xdfff) {
        index++
        continue
      }
    }
    return index
  }
  return -1
}

const HEX = '0123456789abcdef'

/** Encodes bytes as lowercase hex. */
export function bytesToHex(bytes: Uint8Array): string {
  let output = ''
  for (const byte of bytes) output += HEX[byte >> 4]! + HEX[byte & 15]!
  return output
}

/**
 * Decodes hex (either case, even length).
 *
 * @throws WritError `MALFORMED` on odd length or a non-hex character.
 */
export function hexToBytes(hex: string): Uint8Array {
  if (typeof hex !== 'string' || hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new WritError('MALFORMED', 'invalid hex string')
  }
  const output = new Uint8Array(hex.length / 2)
  for (let index = 0; index < output.length; index++) {
    output[index] = Number.parseInt(hex.slice(index * 2, index * 2 + 2), 16)
  }
  return output
}

/** Constant-shape byte comparison (length first, then every byte). */
export function bytesEqual(left: Uint8Array, right: Uint8Array): boolean {
  if (left.length !== right.length) return false
  let difference = 0
  for (let index = 0; index < left.length; index++) difference |= left[index]! ^ right[index]!
  return difference === 0
}

/** Joins byte chunks into one array of `total` bytes (one chunk is returned as it is). */
export function concatBytes(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1 && chunks[0] !== undefined) return chunks[0]
  const bytes = new Uint8Array(total)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return bytes
}

/** `String.prototype.isWellFormed` where the runtime has it (ES2024), else `undefined`. */
const nativeIsWellFormed = (String.prototype as { isWellFormed?: (this: string) => boolean })
  .isWellFormed

/**
 * True when `text` is well-formed UTF-16 (no lone surrogate). Uses the runtime's native
 * check where there is one, else {@link findLoneSurrogate}. @internal
 */
export const isWellFormedText: (text: string) => boolean =
  typeof nativeIsWellFormed === 'function'
    ? (text) => nativeIsWellFormed.call(text)
    : (text) => findLoneSurrogate(text) === -1
