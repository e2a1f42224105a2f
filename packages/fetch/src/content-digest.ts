import { sha256 } from '@writ/verify/internal'

/**
 * The RFC 9530 `Content-Digest` field value for bytes: `sha-256=:<base64>:`.
 *
 * @param bytes the exact body bytes sent
 */
export function contentDigestOf(bytes: Uint8Array): string {
  return `sha-256=:${base64Encode(sha256(bytes))}:`
}

/**
 * Checks an RFC 9530 `Content-Digest` field against the body it came with.
 *
 * Every `sha-256` and `sha-512` member must match the bytes; members of other
 * algorithms are ignored, as RFC 9530 allows. A field that cannot be parsed, or
 * that carries no algorithm Writ can check, does not match: a sender that sends
 * the field promises it can be checked.
 *
 * @returns `true` when the field matches the body
 */
export async function contentDigestMatches(field: string, bytes: Uint8Array): Promise<boolean> {
  const members = parseDigestField(field)
  if (members === undefined) return false
  let checked = 0
  for (const [algorithm, expected] of members) {
    if (algorithm !== 'sha-256' && algorithm !== 'sha-512') continue
    const actual = base64Encode(algorithm === 'sha-256' ? sha256(bytes) : await sha512(bytes))
    if (actual !== expected) return false
    checked += 1
  }
  return checked > 0
}

const memberPattern = /^([a-z][a-z0-9_.*-]*)=:([A-Za-z0-9+/]*={0,2}):$/

/** Parses a structured-field dictionary of byte sequences (RFC 8941), strictly enough for digests. */
function parseDigestField(field: string): Array<[string, string]> | undefined {
  const members: Array<[string, string]> = []
  for (const part of field.split(',')) {
    const match = memberPattern.exec(part.trim())
    if (match === null || match[1] === undefined || match[2] === undefined) return undefined
    members.push([match[1], match[2]])
  }
  return members
}

async function sha512(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-512', bytes as Uint8Array<ArrayBuffer>))
}

/** Standard base64 (with padding), as structured-field byte sequences use. */
export function base64Encode(bytes: Uint8Array): string {
  let binary = ''
  for (const byte of bytes) binary += String.fromCharCode(byte)
  return btoa(binary)
}
