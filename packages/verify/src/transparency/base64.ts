/**
 * Standard base64 (RFC 4648 section 4, with padding), as signed notes, checkpoints and
 * the witness protocol write it. The decoder is strict: only the standard alphabet, the
 * padding the length requires, and zero unused bits, so one value has one encoding. Both
 * directions are the wire's base64url codec with the two alphabet letters swapped.
 */
import { base64UrlDecode, base64UrlEncode } from '../encoding.js'
import { WritError } from '../errors.js'

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** Encodes bytes as standard base64 with padding. */
export function base64Encode(bytes: Uint8Array): string {
  const url = base64UrlEncode(bytes)
  const standard = url.replaceAll('-', '+').replaceAll('_', '/')
  return standard + '='.repeat((4 - (url.length % 4)) % 4)
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
  const url = text.replace(/=+$/, '').replaceAll('+', '-').replaceAll('/', '_')
  try {
    return base64UrlDecode(url)
  } catch {
    throw new WritError(code, 'base64 input has non-zero trailing bits (not canonical)')
  }
}
