import { verifyEd25519 } from './ed25519.js'
import { WritError } from './errors.js'
import { decodeJws, requireTokenType, type WritTokenType } from './jws.js'
import { type KeySet, type KeySetInput, toKeySet } from './key-set.js'
import type { JsonObject, PublicJwk, WritHeader } from './types.js'

/** A token whose header, key, signature and claims have been checked. */
export interface SignedToken<Claims> {
  /** The compact token, as given. */
  readonly token: string
  readonly header: WritHeader
  readonly claims: Claims
  /** The trusted key that signed it. */
  readonly key: PublicJwk
}

const TOKEN_NAMES: Readonly<Record<WritTokenType, string>> = {
  'writ-receipt+jwt': 'receipt',
  'writ-checkpoint+jwt': 'checkpoint',
  'writ-approval+jwt': 'approval',
}

/**
 * The steps receipts and checkpoints share (spec section 8): decode the compact JWS,
 * require the `typ`, resolve the key from the trusted set at the token's `iat`, check the
 * strict Ed25519 signature, then check the claims with `checkClaims`.
 *
 * @throws WritError `MALFORMED`, `HEADER_INVALID`, `KEY_UNKNOWN`, `KEY_WEAK`, `KEY_REVOKED`,
 *   `KEY_NOT_VALID_AT_TIME`, `SIGNATURE_INVALID` or (from `checkClaims`) `CLAIMS_INVALID`,
 *   in that order.
 */
export async function verifySignedToken<Claims>(
  token: string,
  keys: KeySet | KeySetInput,
  typ: WritTokenType,
  checkClaims: (claims: Readonly<JsonObject>) => Claims,
): Promise<SignedToken<Claims>> {
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
  return { token, header: decoded.header, claims: checkClaims(decoded.claims), key: trusted.jwk }
}
