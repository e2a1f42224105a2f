/**
 * Holds and approvals as stores keep them (spec section 11). A hold is opened by the
 * SILENCE receipt `APPROVAL_REQUIRED` whose `jti` names it, keeps the arguments the
 * approvers must see, and is used up by at most one PERMIT.
 */
import type { ApprovalVerdict, Digest, HttpBinding, JsonObject } from '@writ/verify'

/** A hold's state as stored: open, rejected by an approver, used by its PERMIT, or expired. */
export type StoredHoldState = 'open' | 'rejected' | 'used' | 'expired'

/** A hold as a store keeps it. */
export interface StoredHold {
  /** The hold id: the `jti` of the receipt that opened it. */
  readonly id: string
  /**
   * What a later request must match to be answered by this hold: the digest of the
   * RFC 8785 bytes of `{act, http, sub, aud}` of the opening receipt.
   */
  readonly match: Digest
  /** The approver group and how many of its members must approve. */
  readonly group: string
  readonly quorum: number
  /** When the hold closes, seconds since the epoch. */
  readonly exp: number
  /** The opening receipt (compact JWS). */
  readonly receipt: string
  /** The arguments, as RFC 8785 JSON text: what the approvers see and the receipt's `act.args` digests. */
  readonly args: string
  readonly state: StoredHoldState
  /** The PERMIT that used the hold, once it is `used`. */
  readonly permit: string | null
}

/** An approval as a store keeps it, beside the receipts. */
export interface StoredApproval {
  /** `sha256:` of the approval as received: what a PERMIT's `appr` names. */
  readonly digest: Digest
  readonly hold: string
  readonly approver: string
  readonly verdict: ApprovalVerdict
  readonly iat: number
  readonly exp: number
  /** The approval as received (a compact JWS, or a WebAuthn envelope in RFC 8785 JSON). */
  readonly text: string
  /** When the authority recorded it, seconds since the epoch. */
  readonly recorded: number
}

/** Asks an append to open a hold with the receipt it writes (that receipt's `jti` is `id`). */
export type HoldOpening = Omit<StoredHold, 'receipt' | 'state' | 'permit'>

/**
 * Asks an append to close a hold in the same transaction: `used` when the receipt it
 * writes is the PERMIT naming it, `expired` when the gate reports it expired. The store
 * tells the issuer the hold's state (`AppendContext.hold`) before it signs.
 */
export interface HoldClosing {
  readonly id: string
  readonly close: 'used' | 'expired'
}

/**
 * Holds and approvals in a store. Every method fails closed; `addApproval` is atomic:
 * the approval is recorded only while its hold is open and not expired, once per
 * digest and once per approver, and a reject closes the hold in the same transaction.
 */
export interface HoldStore {
  /** A hold by id. */
  get(id: string): Promise<StoredHold | undefined>
  /** The holds whose `match` is `match`, newest first (at most `limit`, default 16). */
  byMatch(match: Digest, limit?: number): Promise<StoredHold[]>
  /** Holds, newest first; only those in `state` when given. */
  list(options?: {
    readonly state?: StoredHoldState
    readonly limit?: number
  }): Promise<StoredHold[]>
  /**
   * Records `approval` for its hold at time `now` (seconds).
   *
   * @throws WritError `HOLD_UNKNOWN`, `APPROVAL_USED` (this approval was recorded before),
   *   `APPROVAL_DUPLICATE` (this approver already answered this hold), `APPROVAL_REJECTED`
   *   (the hold was rejected), `HOLD_CLOSED` (used), `APPROVAL_EXPIRED` (the hold expired).
   */
  addApproval(approval: StoredApproval, now: number): Promise<StoredHold>
  /** The approvals recorded for a hold, oldest first. */
  approvals(hold: string): Promise<StoredApproval[]>
  /** An approval by its digest. */
  approval(digest: Digest): Promise<StoredApproval | undefined>
}

/** What a held decision tells its caller. */
export interface HoldInfo {
  /** The hold id: ask again after approval; approvers approve this id. */
  readonly id: string
  /** The approver group. */
  readonly group: string
  readonly quorum: number
  /** When the hold closes, seconds since the epoch. */
  readonly exp: number
}

/** A hold as people and programs see it (`gate.holds`, `GET /v1/holds/:id`, `writ approvals list`). */
export interface HoldView {
  readonly id: string
  /**
   * `pending` (waiting for approvals), `approved` (quorum reached; the agent may ask again),
   * `rejected`, `used` (its PERMIT was issued) or `expired`.
   */
  readonly state: 'pending' | 'approved' | 'rejected' | 'used' | 'expired'
  readonly group: string
  readonly quorum: number
  readonly iat: number
  readonly exp: number
  readonly agent: string
  readonly audience: string | null
  readonly action: string
  readonly args: JsonObject
  readonly http: HttpBinding | null
  readonly rule: string | null
  readonly ruleDescription: string | null
  readonly policy: { readonly id: string; readonly digest: Digest }
  /** The opening receipt. */
  readonly receipt: string
  readonly approvals: readonly {
    readonly by: string
    readonly name: string
    readonly verdict: ApprovalVerdict
    readonly iat: number
    readonly exp: number
    readonly note: string | null
    readonly digest: Digest
  }[]
  /** The `jti` of the PERMIT that used the hold. */
  readonly permit: string | null
  /** The members of the group, who may answer. */
  readonly approvers: readonly { readonly id: string; readonly name: string }[]
}
