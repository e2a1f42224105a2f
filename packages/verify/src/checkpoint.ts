import { checkCheckpointClaims } from './claims.js'
import type { KeySet, KeySetInput } from './key-set.js'
import { verifySignedToken } from './signed-token.js'
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
  return Object.freeze(
    await verifySignedToken(token, keys, 'writ-checkpoint+jwt', checkCheckpointClaims),
  )
}
