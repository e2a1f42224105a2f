/**
 * Standard base64 (RFC 4648 section 4, with padding), as signed notes, checkpoints and
 * the witness protocol write it. The decoder is strict: only the standard alphabet, the
 * padding the length requires, and zero unused bits, so one value has one encoding.
 */
import { WritError } from '../errors.js'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** Encodes bytes as standard base64 with padding. */
export function base64Encode(bytes: Uint8Array): string {
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
    output += `${ALPHABET[(chunk >> 18) & 63]!}${ALPHABET[(chunk >> 12) & 63]!}==`
  } else if (remaining === 2) {
    const chunk = (bytes[index]! << 16) | (bytes[index + 1]! << 8)
    output += `${ALPHABET[(chunk >> 18) & 63]!}${ALPHABET[(chunk >> 12) & 63]!}${ALPHABET[(chunk >> 6) & 63]!}=`
  }
  return output
}

/**
 * Decodes strict standard base64.
 *
 * @throws WritError `code` (default `MALFORMED`) on anything {@link base64Encode} would not write.
 */
export function base64Decode(
  text: string,
  code: 'MALFORMED' | 'NOTE_INVALID' | 'PROOF_INVALID' = 'MALFORMED',
): Uint8Array {
  if (typeof text !== 'string' || !STRICT_BASE64.test(text)) {
    throw new WritError(code, 'not strict standard base64')
  }
  const body = text.replace(/=+$/, '')
  const output = new Uint8Array(Math.floor((body.length * 3) / 4))
  let bits = 0
  let value = 0
  let outputIndex = 0
  for (let index = 0; index < body.length; index++) {
    value = (value << 6) | ALPHABET.indexOf(body[index]!)
    bits += 6
    if (bits >= 8) {
      bits -= 8
      output[outputIndex++] = (value >> bits) & 255
    }
  }
  if ((value & ((1 << bits) - 1)) !== 0) {
    throw new WritError(code, 'base64 input has non-zero trailing bits (not canonical)')
  }
  return output
}
