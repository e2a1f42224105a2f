import { checkCheckpointClaims } from './claims.js'
import { verifyEd25519 } from './ed25519.js'
import { WritError } from './errors.js'
import { decodeJws, requireTokenType } from './jws.js'
import { type KeySet, type KeySetInput, toKeySet } from './key-set.js'
import type { CheckpointClaims, PublicJwk, WritHeader } from './types.js'

/** A checkpoint whose signature, key and claims have been verified. */
export interface VerifiedCheckpoint {
  readonly token: string
  readonly header: WritHeader
  readonly claims: CheckpointClaims
  readonly key: PublicJwk
}

/**
 * Verifies a checkpoint (spec section 5) the way {@link verifyReceipt} verifies a receipt, with
 * `typ` `writ-checkpoint+jwt` and claims `{v: 1, iss, chain, size, head, iat}`.
 *
 * @throws WritError `MALFORMED`, `HEADER_INVALID`, `KEY_UNKNOWN`, `KEY_WEAK`, `KEY_REVOKED`,
 *   `KEY_NOT_VALID_AT_TIME`, `SIGNATURE_INVALID` or `CLAIMS_INVALID`, in that order.
 */
export async function verifyCheckpoint(
  token: string,
  keys: KeySet | KeySetInput,
): Promise<VerifiedCheckpoint> {
  const keySet = toKeySet(keys)
  const decoded = decodeJws(token)
  requireTokenType(decoded, 'writ-checkpoint+jwt')
  const trusted = keySet.resolve(decoded.header.kid, decoded.claims['iat'])
  if (!(await verifyEd25519(decoded.signature, decoded.signingInput, trusted.publicKey))) {
    throw new WritError(
      'SIGNATURE_INVALID',
      'the checkpoint signature does not verify under the trusted key',
      {
        details: { kid: decoded.header.kid },
      },
    )
  }
  const claims = checkCheckpointClaims(decoded.claims)
  return Object.freeze({ token, header: decoded.header, claims, key: trusted.jwk })
}
