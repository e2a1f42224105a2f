import { checkReceiptClaims } from './claims.js'
import { tokenDigest } from './digest.js'
import type { KeySet, KeySetInput } from './key-set.js'
import { verifySignedToken } from './signed-token.js'
import type { Digest, PublicJwk, ReceiptClaims, WritHeader } from './types.js'

/** A receipt whose signature, key and claims have been verified. */
export interface VerifiedReceipt {
  /** The compact token, as given. */
  readonly token: string
  readonly header: WritHeader
  readonly claims: ReceiptClaims
  /** The trusted key that signed it. */
  readonly key: PublicJwk
  /** SHA-256 of the token's ASCII bytes: what the next receipt's `chain.prev` holds. */
  readonly digest: Digest
}

/**
 * Verifies a receipt's authenticity with the trusted keys alone (spec section 8). Checks run
 * in this order and the first failure is thrown: `MALFORMED`, `HEADER_INVALID` (typ must be
 * `writ-receipt+jwt`), `KEY_UNKNOWN`, `KEY_WEAK`, `KEY_REVOKED`, `KEY_NOT_VALID_AT_TIME`,
 * `SIGNATURE_INVALID`, `CLAIMS_INVALID`.
 *
 * It does not fail on `exp` or on a DENY/SILENCE decision: this answers "did this authority
 * sign this?", not "may I execute?" — for that, use {@link verifyPermit}.
 *
 * @example
 * ```ts
 * const keys = createKeySet(jwksText)
 * const { claims } = await verifyReceipt(token, keys)
 * console.log(claims.decision, claims.act.name)
 * ```
 */
export async function verifyReceipt(
  token: string,
  keys: KeySet | KeySetInput,
): Promise<VerifiedReceipt> {
  const verified = await verifySignedToken(token, keys, 'writ-receipt+jwt', checkReceiptClaims)
  return Object.freeze({ ...verified, digest: tokenDigest(token) })
}
