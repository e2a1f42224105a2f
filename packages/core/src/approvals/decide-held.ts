/**
 * Deciding an action an approve rule holds (spec section 11). The gate looks for a hold
 * this request matches (same action, arguments, HTTP request, agent and audience):
 * - a quorum of valid approvals → PERMIT naming the hold and the approvals, issued in the
 *   same transaction that marks the hold used (a racer loses with DENY `APPROVAL_USED`),
 *   limits checked now;
 * - rejected, within the hold's lifetime → DENY `APPROVAL_REJECTED`;
 * - open, short of quorum → SILENCE `APPROVAL_REQUIRED` naming the same hold;
 * - expired → SILENCE `APPROVAL_EXPIRED`, and the hold is closed (the next ask opens a new one);
 * - none → a new hold: SILENCE `APPROVAL_REQUIRED` with a `hold` claim; its `jti` is the id.
 */
import { type ApprovalReference, digestOf, type JsonObject, WritError } from '@writ/verify'
import { canonicalize } from '@writ/verify/internal'
import { answerOf } from '../decide/answer.js'
import { applyLimits } from '../decide/apply-limits.js'
import type { EvaluatedStep } from '../decide/evaluate-step.js'
import type { ReceiptDraft } from '../decide/issue-receipt.js'
import type { NormalizedRequest } from '../decide/normalize-request.js'
import type { Outcome } from '../decide/outcome.js'
import type { ApprovalRequirement } from '../policy/index.js'
import type { SessionAppend } from '../session-history.js'
import type { SigningLane } from '../signing-lane.js'
import type { AppendOptions, Decision, Store } from '../types.js'
import { appendHeld, type HeldAppend, type HeldSigner } from './held-append.js'
import { type ApprovalCheckSettings, countingApprovals } from './hold-checks.js'
import type { HoldInfo, HoldStore, StoredHold } from './hold-types.js'

type Signer = HeldSigner

/** What deciding a held action needs from the gate. */
export interface HeldSettings extends ApprovalCheckSettings {
  readonly store: Store
  readonly chainId: string
  /** The chain's signing lane: held decisions sign in turn with the gate's other decisions. */
  readonly lane: SigningLane
  /** How long a key outside the process may take to sign one receipt, in milliseconds. */
  readonly signerTimeoutMs: number
  /** Told once a new hold is durably opened. */
  readonly opened: (hold: StoredHold) => void
}

/** Where a request stands against its holds. */
type Standing =
  | { readonly kind: 'new' }
  | { readonly kind: 'pending'; readonly hold: StoredHold; readonly expiredApprovals: boolean }
  | { readonly kind: 'approved'; readonly hold: StoredHold; readonly appr: ApprovalReference[] }
  | { readonly kind: 'rejected'; readonly hold: StoredHold }
  | { readonly kind: 'expired'; readonly hold: StoredHold }

/** The digest a hold is found by: RFC 8785 bytes of `{act, http, sub, aud}` of the request. */
export function holdMatch(draft: ReceiptDraft): `sha256:${string}` {
  return digestOf(
    canonicalize({
      act: draft.act,
      http: draft.http ?? null,
      sub: draft.sub,
      aud: draft.aud ?? null,
    }),
  )
}

async function standingOf(
  holds: HoldStore,
  match: `sha256:${string}`,
  approval: ApprovalRequirement,
  now: number,
  settings: ApprovalCheckSettings,
): Promise<Standing> {
  const candidates = (await holds.byMatch(match)).filter(
    (hold) => hold.group === approval.group && hold.quorum === approval.quorum,
  )
  let pending: Standing | undefined
  for (const hold of candidates) {
    if (hold.state !== 'open' || hold.exp <= now) continue
    const recorded = await holds.approvals(hold.id)
    const appr = await countingApprovals(hold, recorded, now, settings)
    if (appr.length >= hold.quorum)
      return { kind: 'approved', hold, appr: appr.slice(0, hold.quorum) }
    pending ??= {
      kind: 'pending',
      hold,
      expiredApprovals: recorded.some((entry) => entry.exp < now),
    }
  }
  if (pending !== undefined) return pending
  const rejected = candidates.find((hold) => hold.state === 'rejected' && hold.exp > now)
  if (rejected !== undefined) return { kind: 'rejected', hold: rejected }
  const expired = candidates.find((hold) => hold.state === 'open' && hold.exp <= now)
  if (expired !== undefined) return { kind: 'expired', hold: expired }
  return { kind: 'new' }
}

function infoOf(hold: Pick<StoredHold, 'id' | 'group' | 'quorum' | 'exp'>): HoldInfo {
  return Object.freeze({ id: hold.id, group: hold.group, quorum: hold.quorum, exp: hold.exp })
}

/** One held decision in progress: the request, its draft receipt, the key, the gate's settings. */
interface HeldCall {
  readonly request: NormalizedRequest
  readonly draft: ReceiptDraft
  readonly signer: Signer
  readonly settings: HeldSettings
  /** The session entry each receipt of this decision writes, if any. */
  readonly session: SessionAppend | undefined
}

/**
 * Decides `request`, which the approve rule of `step` holds (`step.approval`), and
 * appends the receipt.
 *
 * @throws WritError `STORE_UNAVAILABLE` when the store keeps no holds (nothing may run);
 *   `GATE_ERROR` when `step` holds nothing.
 */
export async function decideHeld(
  request: NormalizedRequest,
  step: EvaluatedStep,
  draft: ReceiptDraft,
  signer: Signer,
  settings: HeldSettings,
  session?: SessionAppend,
): Promise<Decision> {
  const holds = settings.store.holds
  if (holds === undefined) {
    throw new WritError(
      'STORE_UNAVAILABLE',
      'This store cannot keep holds: approvals need one that can.',
    )
  }
  const approval = step.approval
  if (approval === undefined)
    throw new WritError('GATE_ERROR', 'No approve rule holds this action.')
  const match = holdMatch(draft)
  const standing = await standingOf(holds, match, approval, draft.iat, settings)
  const call: HeldCall = { request, draft, signer, settings, session }
  const rule = step.outcome.rule
  switch (standing.kind) {
    case 'approved':
      return permitOnHold(call, step, standing)
    case 'rejected': {
      const outcome: Outcome = { decision: 'DENY', reason: 'APPROVAL_REJECTED', rule }
      return appendPlain(call, draft, outcome, {}, infoOf(standing.hold))
    }
    case 'pending': {
      const { id, group, quorum, exp } = standing.hold
      const reason = standing.expiredApprovals ? 'APPROVAL_EXPIRED' : 'APPROVAL_REQUIRED'
      const outcome: Outcome = { decision: 'SILENCE', reason, rule }
      const answered = { ...draft, hold: { id, approvers: group, quorum, exp } }
      return appendPlain(call, answered, outcome, {}, infoOf(standing.hold))
    }
    case 'expired': {
      const outcome: Outcome = { decision: 'SILENCE', reason: 'APPROVAL_EXPIRED', rule }
      const closeHold = { id: standing.hold.id, close: 'expired' } as const
      return appendPlain(call, draft, outcome, { closeHold }, undefined)
    }
    case 'new':
      return openHold(call, approval, rule, match)
  }
}

function sessionOf(call: HeldCall): Pick<AppendOptions, 'session'> {
  return call.session === undefined ? {} : { session: call.session }
}

function targetOf(call: HeldCall): HeldAppend {
  const { settings, signer } = call
  const { store, chainId, lane, signerTimeoutMs } = settings
  return { store, chainId, signer, lane, signerTimeoutMs }
}

async function appendPlain(
  call: HeldCall,
  draft: ReceiptDraft,
  outcome: Outcome,
  extra: Pick<AppendOptions, 'closeHold' | 'openHold'>,
  hold: HoldInfo | undefined,
): Promise<Decision> {
  const options = { now: draft.iat, ...extra, ...sessionOf(call) }
  const { stored } = await appendHeld(targetOf(call), options, () => ({ outcome, draft }))
  const decision = answerOf(stored, outcome, call.request)
  return hold === undefined ? decision : (Object.freeze({ ...decision, hold }) as Decision)
}

async function openHold(
  call: HeldCall,
  approval: ApprovalRequirement,
  rule: string | null,
  match: `sha256:${string}`,
): Promise<Decision> {
  const { group, quorum, ttlSeconds } = approval
  const exp = call.draft.iat + ttlSeconds
  const args = canonicalize(call.request.args?.value ?? ({} as JsonObject))
  const opening = { id: call.draft.jti, match, group, quorum, exp, args }
  const decision = await appendPlain(
    call,
    { ...call.draft, hold: { approvers: group, quorum, exp } },
    { decision: 'SILENCE', reason: 'APPROVAL_REQUIRED', rule },
    { openHold: opening },
    infoOf(opening),
  )
  try {
    call.settings.opened({ ...opening, receipt: decision.receipt, state: 'open', permit: null })
  } catch {
    // A listener's failure (a webhook) never changes the decision already recorded.
  }
  return decision
}

async function permitOnHold(
  call: HeldCall,
  step: EvaluatedStep,
  standing: { readonly hold: StoredHold; readonly appr: ApprovalReference[] },
): Promise<Decision> {
  const { hold, appr } = standing
  const { draft } = call
  const rule = step.outcome.rule
  const options: AppendOptions = {
    now: draft.iat,
    ...(step.limits.length === 0 ? {} : { limits: step.limits }),
    closeHold: { id: hold.id, close: 'used' },
    ...sessionOf(call),
  }
  const { stored, signed } = await appendHeld(targetOf(call), options, (context) => {
    // Another request used this hold first: one hold, one PERMIT.
    if (context.hold !== 'open') {
      return { outcome: { decision: 'DENY', reason: 'APPROVAL_USED', rule }, draft }
    }
    const outcome = applyLimits({ decision: 'PERMIT', reason: 'APPROVED', rule }, context.exceeded)
    const named = outcome.decision === 'PERMIT' ? { ...draft, hold: hold.id, appr } : draft
    return { outcome, draft: named }
  })
  const decision = answerOf(stored, signed, call.request)
  if (decision.decision === 'PERMIT') return decision
  return Object.freeze({ ...decision, hold: infoOf(hold) }) as Decision
}
