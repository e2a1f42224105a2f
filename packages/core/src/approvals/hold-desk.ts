/**
 * The gate's desk for holds (`gate.holds`): what approvers see, and where their approvals
 * are checked and recorded. An approval is recorded only when it verifies under its
 * approver's own key, names exactly the hold, comes from a member of the hold's group who
 * is not the agent, and neither it nor the hold has expired; the store then records it
 * atomically, once.
 */
import { approvalDigest, type JsonObject, WritError } from '@writ/verify'
import type { CompiledPolicy } from '../policy/index.js'
import type { HoldReader, Store } from '../types.js'
import {
  type ApprovalCheckSettings,
  checkApproval,
  countingApprovals,
  holdClaims,
} from './hold-checks.js'
import type {
  HoldStore,
  HoldView,
  StoredApproval,
  StoredHold,
  StoredHoldState,
} from './hold-types.js'

/** `gate.holds`: list and read holds, and submit approvals. */
export interface HoldDesk extends HoldReader {
  /** Holds, newest first; `state` filters on the view's state. */
  list(options?: {
    readonly state?: HoldView['state']
    readonly limit?: number
  }): Promise<HoldView[]>
  /**
   * Checks and records one approval (the approval as received: a compact JWS or a WebAuthn
   * envelope) and returns the hold as it stands after it. `options.hold` is the hold the
   * approver meant (a URL's id); it must be the one the approval names.
   *
   * @throws WritError `HOLD_UNKNOWN`, `APPROVAL_USED`, `APPROVAL_MISMATCH`, `APPROVER_UNKNOWN`,
   *   `APPROVER_IS_AGENT`, `APPROVAL_EXPIRED`, `APPROVAL_REJECTED`, `APPROVAL_DUPLICATE`,
   *   `HOLD_CLOSED`, `SIGNATURE_INVALID` and the other verifier codes.
   */
  submit(approval: string, options?: { readonly hold?: string }): Promise<HoldView>
  /**
   * Calls `listener` each time a hold opens, after its receipt is durably stored (for a
   * webhook or a notification); errors it throws are ignored. Returns the unsubscribe.
   */
  subscribe(listener: (hold: HoldView) => void): () => void
}

/** What the desk needs from the gate. */
export interface HoldDeskSettings extends ApprovalCheckSettings {
  readonly store: Store
  readonly clock: () => number
  readonly policy: () => CompiledPolicy
}

function holdStore(store: Store): HoldStore {
  if (store.holds === undefined) {
    throw new WritError('STORE_UNAVAILABLE', 'This store cannot keep holds.')
  }
  return store.holds
}

/** The view of `hold` at `now`, with its recorded approvals. */
export async function holdView(
  hold: StoredHold,
  approvals: readonly StoredApproval[],
  now: number,
  settings: HoldDeskSettings,
): Promise<HoldView> {
  const claims = holdClaims(hold)
  const directory = settings.approvers
  const nameOf = (id: string) => directory?.approver(id)?.name ?? id
  const rule = claims.rule
  const description =
    settings.policy().document.rules.find((entry) => entry.id === rule)?.description ?? null
  let state: HoldView['state'] = viewState(hold.state, hold.exp, now)
  if (state === 'pending') {
    const counted = await countingApprovals(hold, approvals, now, settings)
    if (counted.length >= hold.quorum) state = 'approved'
  }
  return Object.freeze({
    id: hold.id,
    state,
    group: hold.group,
    quorum: hold.quorum,
    iat: claims.iat,
    exp: hold.exp,
    agent: claims.sub,
    audience: claims.aud ?? null,
    action: claims.act.name,
    args: JSON.parse(hold.args) as JsonObject,
    http: claims.http ?? null,
    rule,
    ruleDescription: description,
    policy: claims.policy,
    receipt: hold.receipt,
    approvals: approvals.map((approval) => ({
      by: approval.approver,
      name: nameOf(approval.approver),
      verdict: approval.verdict,
      iat: approval.iat,
      exp: approval.exp,
      note: noteOf(approval),
      digest: approval.digest,
    })),
    permit: hold.permit,
    approvers: (directory?.members(hold.group) ?? []).map((id) => ({ id, name: nameOf(id) })),
  })
}

function viewState(state: StoredHoldState, exp: number, now: number): HoldView['state'] {
  if (state === 'open') return exp <= now ? 'expired' : 'pending'
  return state
}

function noteOf(approval: StoredApproval): string | null {
  try {
    const text = approval.text.startsWith('{')
      ? ((JSON.parse(approval.text) as { claims?: { note?: unknown } }).claims?.note ?? null)
      : (holdClaims({ receipt: approval.text }) as unknown as { note?: unknown }).note
    return typeof text === 'string' ? text : null
  } catch {
    return null
  }
}

/** Reads the approval's hold id without trusting anything else in it. */
function namedHold(approval: string): string {
  try {
    const claims = approval.startsWith('{')
      ? (JSON.parse(approval) as { claims?: { hold?: unknown } }).claims
      : (holdClaims({ receipt: approval }) as unknown as { hold?: unknown })
    if (typeof claims?.hold === 'string') return claims.hold
  } catch {
    // Reported below.
  }
  throw new WritError('MALFORMED', 'The approval names no hold.')
}

/** Creates the desk of a gate (without `subscribe`, which the gate adds). */
export function createHoldDesk(settings: HoldDeskSettings): Omit<HoldDesk, 'subscribe'> {
  const seconds = () => Math.floor(settings.clock() / 1000)
  const view = async (hold: StoredHold) =>
    holdView(hold, await holdStore(settings.store).approvals(hold.id), seconds(), settings)
  return {
    async get(id) {
      const hold = await holdStore(settings.store).get(id)
      return hold === undefined ? undefined : view(hold)
    },
    async list(options = {}) {
      const holds = await holdStore(settings.store).list({ limit: options.limit ?? 100 })
      const views = await Promise.all(holds.map(view))
      return options.state === undefined
        ? views
        : views.filter((entry) => entry.state === options.state)
    },
    async submit(approval, options = {}) {
      const store = holdStore(settings.store)
      if (typeof approval !== 'string' || approval.length === 0)
        throw new WritError('MALFORMED', 'An approval is a non-empty string.')
      // Checked first: an approval recorded once is used, whichever hold it is offered to now.
      if ((await store.approval(approvalDigest(approval))) !== undefined) {
        throw new WritError('APPROVAL_USED', 'This approval was recorded before.')
      }
      const id = namedHold(approval)
      const hold = await store.get(id)
      if (hold === undefined)
        throw new WritError('HOLD_UNKNOWN', `No hold ${id} exists.`, { details: { hold: id } })
      if (options.hold !== undefined && options.hold !== id) {
        throw new WritError('APPROVAL_MISMATCH', 'The approval names another hold.', {
          details: { hold: options.hold, approvalHold: id },
        })
      }
      const now = seconds()
      const verified = await checkApproval(approval, hold, now, settings)
      const updated = await store.addApproval(
        {
          digest: verified.digest,
          hold: hold.id,
          approver: verified.claims.approver,
          verdict: verified.claims.verdict,
          iat: verified.claims.iat,
          exp: verified.claims.exp,
          text: approval,
          recorded: now,
        },
        now,
      )
      return view(updated)
    },
  }
}
