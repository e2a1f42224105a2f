/**
 * Evidence of approvals in a chain (spec section 11): every PERMIT that names approvals
 * must be backed by them. Each named approval must be kept (by its digest), verify under
 * its approver's published key, be about exactly the hold and call the PERMIT names, come
 * from a distinct member of the hold's group who is not the agent, and fall within the
 * hold's lifetime; together they must meet the hold's quorum.
 */
import {
  type ApproverKeys,
  approvalDigest,
  type VerifiedApproval,
  verifyApproval,
  type WebAuthnApprovalVerifier,
} from './approval.js'
import { WritError } from './errors.js'
import type { KeySet } from './key-set.js'
import { verifyReceipt } from './receipt.js'
import type { Digest, HoldClaim, ReceiptClaims } from './types.js'

/** Where a chain verifier finds approvals and the holds they answer, and whom it trusts. */
export interface ChainApprovalSources {
  /** The approval as received, by its digest (from the store that keeps them beside the receipts). */
  approval(digest: Digest): Promise<string | undefined> | string | undefined
  /** The receipt that opened a hold (its `jti` is the hold id), from any chain of the authority. */
  holdReceipt(id: string): Promise<string | undefined> | string | undefined
  /** The published approvers: each one's keys, and who is in which group. */
  readonly approvers: {
    keysOf(id: string): ApproverKeys | undefined
    inGroup(id: string, group: string): boolean
  }
  /** Verifies passkey approvals; without it they are refused. */
  readonly webauthn?: WebAuthnApprovalVerifier
}

/** Skew allowed between an approval's `iat` and the hold's, in seconds. */
const SKEW_SECONDS = 60

function fail(code: ConstructorParameters<typeof WritError>[0], message: string): never {
  throw new WritError(code, message)
}

async function openingHold(
  permit: ReceiptClaims,
  sources: ChainApprovalSources,
  keys: KeySet,
): Promise<{ readonly claims: ReceiptClaims; readonly hold: HoldClaim }> {
  const id = permit.hold as string
  const token = await sources.holdReceipt(id)
  if (token === undefined) fail('HOLD_UNKNOWN', `the hold ${id} that the PERMIT names is not kept`)
  const { claims } = await verifyReceipt(token, keys)
  const hold = claims.hold
  if (
    claims.jti !== id ||
    claims.decision !== 'SILENCE' ||
    typeof hold !== 'object' ||
    hold.id !== undefined
  )
    fail('HOLD_UNKNOWN', `receipt ${id} did not open a hold`)
  const sameCall =
    claims.sub === permit.sub &&
    claims.aud === permit.aud &&
    claims.act.name === permit.act.name &&
    claims.act.args === permit.act.args &&
    JSON.stringify(claims.http ?? null) === JSON.stringify(permit.http ?? null)
  if (!sameCall) fail('APPROVAL_MISMATCH', `the PERMIT is for another call than hold ${id}`)
  if (permit.iat > hold.exp)
    fail('APPROVAL_EXPIRED', `the PERMIT was issued after hold ${id} closed`)
  return { claims, hold }
}

async function oneApproval(
  entry: { readonly by: string; readonly digest: Digest },
  permit: ReceiptClaims,
  opening: { readonly claims: ReceiptClaims; readonly hold: HoldClaim },
  sources: ChainApprovalSources,
): Promise<VerifiedApproval> {
  const text = await sources.approval(entry.digest)
  if (text === undefined || approvalDigest(text) !== entry.digest)
    fail('APPROVAL_MISSING', `the approval ${entry.digest} by ${entry.by} is not kept`)
  const verified = await verifyApproval(text, {
    approver: (id) => sources.approvers.keysOf(id),
    ...(sources.webauthn === undefined ? {} : { webauthn: sources.webauthn }),
  })
  const approval = verified.claims
  if (approval.approver !== entry.by)
    fail('APPROVAL_MISMATCH', `${entry.digest} is not by ${entry.by}`)
  if (
    approval.verdict !== 'approve' ||
    approval.hold !== permit.hold ||
    approval.sub !== permit.sub ||
    approval.act.name !== permit.act.name ||
    approval.act.args !== permit.act.args ||
    JSON.stringify(approval.http ?? null) !== JSON.stringify(permit.http ?? null)
  )
    fail('APPROVAL_MISMATCH', `the approval by ${entry.by} is not an approval of this call`)
  if (!sources.approvers.inGroup(approval.approver, opening.hold.approvers))
    fail('APPROVER_UNKNOWN', `${entry.by} is not in group ${opening.hold.approvers}`)
  if (approval.approver === permit.sub) fail('APPROVER_IS_AGENT', `${entry.by} is the agent`)
  if (
    approval.iat + SKEW_SECONDS < opening.claims.iat ||
    approval.iat > opening.hold.exp ||
    approval.exp < permit.iat
  )
    fail('APPROVAL_EXPIRED', `the approval by ${entry.by} is outside the hold's lifetime`)
  return verified
}

/**
 * Checks the approvals a PERMIT names (`hold` and `appr`), or does nothing for a PERMIT
 * that names none.
 *
 * @throws WritError `HOLD_UNKNOWN`, `APPROVAL_MISSING`, `APPROVAL_MISMATCH`,
 *   `APPROVER_UNKNOWN`, `APPROVER_IS_AGENT`, `APPROVAL_EXPIRED`, `APPROVAL_DUPLICATE`,
 *   `APPROVAL_QUORUM_UNMET`, or a verifier code of an approval or the hold receipt.
 */
export async function checkPermitApprovals(
  permit: ReceiptClaims,
  sources: ChainApprovalSources,
  keys: KeySet,
): Promise<void> {
  if (permit.decision !== 'PERMIT' || permit.appr === undefined) return
  const opening = await openingHold(permit, sources, keys)
  const seen = new Set<string>()
  for (const entry of permit.appr) {
    if (seen.has(entry.by)) fail('APPROVAL_DUPLICATE', `${entry.by} is counted twice`)
    seen.add(entry.by)
    await oneApproval(entry, permit, opening, sources)
  }
  if (seen.size < opening.hold.quorum)
    fail('APPROVAL_QUORUM_UNMET', `${seen.size} of ${opening.hold.quorum} approvals`)
}
