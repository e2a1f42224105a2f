import { verifyEd25519 } from './ed25519.js'
import { WritError } from './errors.js'
import { decodeJws, requireTokenType, type WritTokenType } from './jws.js'
import { type KeySet, type KeySetInput, toKeySet } from './key-set.js'
import type { JsonObject, PublicJwk, WritHeader } from './types.js'

/** A token whose header, key and signature have been checked; its claims not yet. */
export interface SignedToken {
  readonly header: WritHeader
  /** The claims as decoded: strict JSON, not yet checked against a schema. */
  readonly claims: Readonly<JsonObject>
  /** The trusted key that signed it. */
  readonly key: PublicJwk
}

const TOKEN_NAMES: Readonly<Record<WritTokenType, string>> = {
  'writ-receipt+jwt': 'receipt',
  'writ-checkpoint+jwt': 'checkpoint',
}

/**
 * The steps receipts and checkpoints share (spec section 8): decode the compact JWS,
 * require the `typ`, resolve the key from the trusted set at the token's `iat`, check the
 * strict Ed25519 signature. The caller checks the claims.
 *
 * @throws WritError `MALFORMED`, `HEADER_INVALID`, `KEY_UNKNOWN`, `KEY_WEAK`, `KEY_REVOKED`,
 *   `KEY_NOT_VALID_AT_TIME` or `SIGNATURE_INVALID`, in that order.
 */
export async function verifySignedToken(
  token: string,
  keys: KeySet | KeySetInput,
  typ: WritTokenType,
): Promise<SignedToken> {
  const keySet = toKeySet(keys)
  const decoded = decodeJws(token)
  requireTokenType(decoded, typ)
  const trusted = keySet.resolve(decoded.header.kid, decoded.claims['iat'])
  if (!(await verifyEd25519(decoded.signature, decoded.signingInput, trusted.publicKey))) {
    throw new WritError(
      'SIGNATURE_INVALID',
      `the ${TOKEN_NAMES[typ]} signature does not verify under the trusted key`,
      { details: { kid: decoded.header.kid } },
    )
  }
  return { header: decoded.header, claims: decoded.claims, key: trusted.jwk }
}
