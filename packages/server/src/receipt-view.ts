/**
 * What the receipts API serves: only what the signed token says, checked against the
 * authority's own keys. A store row is two things, the token and the columns decoded
 * from it; whoever can write the store can edit the columns without breaking the
 * signature, so the columns are compared with the token and never served on their own.
 */
import type { StoredReceipt } from '@writ/core'
import { type KeySet, type ReceiptClaims, verifyReceipt, WritError } from '@writ/verify'
import { canonicalize } from '@writ/verify/internal'

/** A stored receipt as served: the token, and the claims read from it after verifying it. */
export interface ReceiptView {
  readonly token: string
  readonly claims: ReceiptClaims
}

/** Why a stored row cannot be served. */
export interface RowFault {
  /** `RECEIPT_UNVERIFIABLE` (the token does not verify) or `STORE_CORRUPT` (the columns disagree with it). */
  readonly code: 'RECEIPT_UNVERIFIABLE' | 'STORE_CORRUPT'
  readonly detail: string
}

/**
 * Verifies a stored row and checks its decoded columns against the token. A row whose
 * token verifies but whose columns disagree comes back with both the verified view (to
 * tell whose it is) and the fault (so it is reported, not served).
 */
export async function viewOf(
  stored: StoredReceipt,
  keys: KeySet,
): Promise<
  | { readonly view: ReceiptView; readonly fault?: RowFault }
  | { readonly view?: undefined; readonly fault: RowFault }
> {
  let claims: ReceiptClaims
  try {
    claims = (await verifyReceipt(stored.token, keys)).claims
  } catch (error) {
    const code = WritError.isInstance(error) ? error.code : 'MALFORMED'
    return {
      fault: {
        code: 'RECEIPT_UNVERIFIABLE',
        detail: `A stored receipt does not verify under this authority's keys (${code}).`,
      },
    }
  }
  let same = false
  try {
    same = canonicalize(stored.claims) === canonicalize(claims)
  } catch {
    same = false
  }
  if (!same)
    return {
      view: { token: stored.token, claims },
      fault: {
        code: 'STORE_CORRUPT',
        detail: 'A stored receipt row disagrees with its own signed token; it is not served.',
      },
    }
  return { view: { token: stored.token, claims } }
}
