/**
 * The checks every approval passes before it counts (spec section 11), shared by the desk
 * that records approvals and the decision that turns a quorum into a PERMIT: the approval
 * verifies under its approver's own key, names exactly this hold, comes from a member of
 * the hold's group who is not the agent, and has not expired.
 */
import {
  type ApprovalReference,
  approvalMatchesHold,
  type ReceiptClaims,
  type VerifiedApproval,
  verifyApproval,
  type WebAuthnApprovalVerifier,
  WritError,
} from '@writ/verify'
import { base64UrlDecode, utf8Decode } from '@writ/verify/internal'
import type { ApproverDirectory } from './approvers.js'
import type { StoredApproval, StoredHold } from './hold-types.js'

/** Clock skew allowed between an approver's machine and the authority, in seconds. */
const APPROVAL_SKEW_SECONDS = 60

/** What checking approvals needs from the authority. */
export interface ApprovalCheckSettings {
  readonly approvers: ApproverDirectory | undefined
  readonly webauthn?: WebAuthnApprovalVerifier | undefined
}

/** The claims of a stored hold's opening receipt. */
export function holdClaims(hold: Pick<StoredHold, 'receipt'>): ReceiptClaims {
  return JSON.parse(utf8Decode(base64UrlDecode(hold.receipt.split('.')[1] ?? ''))) as ReceiptClaims
}

/**
 * Verifies `text` as an approval of `hold` at `now`.
 *
 * @throws WritError the verifier's codes, then `APPROVAL_MISMATCH` (another hold, action,
 *   arguments, HTTP request or agent), `APPROVER_UNKNOWN` (not a member of the hold's
 *   group), `APPROVER_IS_AGENT`, `APPROVAL_EXPIRED` (the approval's `exp` has passed).
 */
export async function checkApproval(
  text: string,
  hold: StoredHold,
  now: number,
  settings: ApprovalCheckSettings,
): Promise<VerifiedApproval> {
  const directory = settings.approvers
  const verified = await verifyApproval(text, {
    approver: (id) => directory?.keysOf(id),
    ...(settings.webauthn === undefined ? {} : { webauthn: settings.webauthn }),
  })
  const claims = holdClaims(hold)
  const approval = verified.claims
  if (!approvalMatchesHold(approval, claims)) {
    throw new WritError(
      'APPROVAL_MISMATCH',
      'The approval is for another hold, action, agent or request.',
      {
        details: { hold: hold.id, approvalHold: approval.hold },
      },
    )
  }
  if (directory?.inGroup(approval.approver, hold.group) !== true) {
    throw new WritError(
      'APPROVER_UNKNOWN',
      `${approval.approver} is not an approver of group ${hold.group}.`,
      {
        details: { approver: approval.approver, group: hold.group },
      },
    )
  }
  if (approval.approver === claims.sub) {
    throw new WritError('APPROVER_IS_AGENT', 'The agent cannot approve its own action.', {
      details: { approver: approval.approver },
    })
  }
  // Signed before the hold existed (beyond clock skew), or after it closed: not about this hold's life.
  if (approval.iat + APPROVAL_SKEW_SECONDS < claims.iat || approval.iat > hold.exp) {
    throw new WritError(
      'APPROVAL_EXPIRED',
      "The approval was not signed within the hold's lifetime.",
      {
        details: { iat: approval.iat },
      },
    )
  }
  if (approval.exp < now) {
    throw new WritError('APPROVAL_EXPIRED', 'The approval has expired.', {
      details: { exp: approval.exp },
    })
  }
  return verified
}

/**
 * The approvals of `hold` that count at `now`: each checked again ({@link checkApproval}),
 * verdict `approve`, one per approver (the first recorded). Anything that fails a check is
 * left out, so a changed group, a removed key or an expired approval never counts.
 */
export async function countingApprovals(
  hold: StoredHold,
  approvals: readonly StoredApproval[],
  now: number,
  settings: ApprovalCheckSettings,
): Promise<ApprovalReference[]> {
  const counted: ApprovalReference[] = []
  const seen = new Set<string>()
  for (const approval of approvals) {
    if (approval.verdict !== 'approve' || seen.has(approval.approver)) continue
    try {
      const verified = await checkApproval(approval.text, hold, now, settings)
      if (verified.claims.verdict !== 'approve' || verified.claims.approver !== approval.approver)
        continue
      seen.add(approval.approver)
      counted.push({ by: approval.approver, digest: verified.digest })
    } catch {
      // Fail closed: an approval that no longer checks out does not count.
    }
  }
  return counted
}
