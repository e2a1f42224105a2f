import { deepFreeze } from './deep-freeze.js'
import { base64UrlDecode, utf8Decode, utf8Encode } from './encoding.js'
import { WritError } from './errors.js'
import { parseJson } from './json.js'
import type { JsonObject, WritHeader } from './types.js'

/** The two token types of Writ. */
export type WritTokenType = WritHeader['typ']

/** Longest token accepted, in characters (receipts are around 1 KiB). */
export const MAX_TOKEN_LENGTH = 256 * 1024

/** A compact JWS split and parsed, not yet verified. */
export interface DecodedJws {
  /** The protected header: exactly `alg`, `typ`, `kid`. */
  readonly header: WritHeader
  /** The claims, parsed strictly; not yet checked against a schema. */
  readonly claims: Readonly<JsonObject>
  /** The ASCII bytes `header "." claims` exactly as sent: what the signature covers. */
  readonly signingInput: Uint8Array
  /** The 64 signature bytes. */
  readonly signature: Uint8Array
}

const HEADER_MEMBERS: ReadonlySet<string> = new Set(['alg', 'typ', 'kid'])
const KEY_CARRYING_MEMBERS: ReadonlySet<string> = new Set([
  'jwk',
  'jku',
  'x5u',
  'x5c',
  'x5t',
  'x5t#S256',
  'crit',
])

/**
 * Splits and parses a Writ compact JWS strictly (spec section 1). Nothing is verified here;
 * see {@link verifyReceipt} and {@link verifyCheckpoint}.
 *
 * @throws WritError `MALFORMED` — not a string, not three parts, a part that is not strict
 *   base64url, a header or claims that are not a strict JSON object (duplicate keys
 *   included), a signature that is not 64 bytes;
 *   `HEADER_INVALID` — a header that is not exactly `{alg:"EdDSA", typ, kid}` with a Writ
 *   `typ` (any other member, including `jwk`, `jku`, `x5u`, `x5c` and `crit`, is refused).
 */
export function decodeJws(token: string): DecodedJws {
  if (typeof token !== 'string') throw new WritError('MALFORMED', 'token is not a string')
  if (token.length > MAX_TOKEN_LENGTH) {
    throw new WritError('MALFORMED', 'token is too long', {
      details: { maxLength: MAX_TOKEN_LENGTH },
    })
  }
  const parts = token.split('.')
  if (parts.length !== 3) throw new WritError('MALFORMED', 'a compact JWS has exactly three parts')
  const [headerPart, claimsPart, signaturePart] = parts as [string, string, string]
  const headerValue = parsePart(headerPart, 'header')
  const claimsValue = parsePart(claimsPart, 'claims')
  const signature = decodePart(signaturePart, 'signature')
  if (signature.length !== 64) {
    throw new WritError('MALFORMED', 'an Ed25519 signature is 64 bytes', {
      details: { part: 'signature' },
    })
  }
  return Object.freeze({
    header: checkHeader(headerValue),
    claims: claimsValue,
    signingInput: utf8Encode(`${headerPart}.${claimsPart}`),
    signature,
  })
}

function decodePart(part: string, name: string): Uint8Array {
  if (part.length === 0)
    throw new WritError('MALFORMED', `the ${name} part is empty`, { details: { part: name } })
  try {
    return base64UrlDecode(part)
  } catch (error) {
    throw new WritError('MALFORMED', `the ${name} part is not strict base64url`, {
      cause: error,
      details: { part: name },
    })
  }
}

function parsePart(part: string, name: string): Readonly<JsonObject> {
  const bytes = decodePart(part, name)
  let value: unknown
  try {
    value = parseJson(utf8Decode(bytes))
  } catch (error) {
    throw new WritError('MALFORMED', `the ${name} is not a strict JSON object`, {
      cause: error,
      details: {
        part: name,
        ...(WritError.isInstance(error)
          ? { reason: error.code, path: error.details?.['path'] }
          : {}),
      },
    })
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new WritError('MALFORMED', `the ${name} is not a JSON object`, {
      details: { part: name },
    })
  }
  return deepFreeze(value as JsonObject)
}

function checkHeader(header: Readonly<JsonObject>): WritHeader {
  for (const member of Object.keys(header)) {
    if (KEY_CARRYING_MEMBERS.has(member)) {
      throw new WritError(
        'HEADER_INVALID',
        `header member "${member}" is refused: keys come only from the trusted key set`,
        {
          details: { member },
        },
      )
    }
    if (!HEADER_MEMBERS.has(member)) {
      throw new WritError('HEADER_INVALID', `unexpected header member "${member}"`, {
        details: { member },
      })
    }
  }
  const { alg, typ, kid } = header
  if (alg !== 'EdDSA')
    throw new WritError('HEADER_INVALID', 'alg must be "EdDSA"', { details: { member: 'alg' } })
  if (typ !== 'writ-receipt+jwt' && typ !== 'writ-checkpoint+jwt' && typ !== 'writ-approval+jwt') {
    throw new WritError('HEADER_INVALID', 'typ must be a Writ token type', {
      details: { member: 'typ' },
    })
  }
  if (typeof kid !== 'string' || kid.length === 0 || kid.length > 256) {
    throw new WritError('HEADER_INVALID', 'kid must be a non-empty string', {
      details: { member: 'kid' },
    })
  }
  return Object.freeze({ alg, typ, kid })
}

/** Checks that a decoded header has the expected `typ`. @internal */
export function requireTokenType(decoded: DecodedJws, typ: WritTokenType): void {
  if (decoded.header.typ !== typ) {
    throw new WritError('HEADER_INVALID', `typ must be "${typ}"`, {
      details: { member: 'typ', expected: typ, actual: decoded.header.typ },
    })
  }
}
