/**
 * What a store keeps for policy operations, beside its receipts: disagreements between
 * the enforcing policy and a shadow candidate, and (opt in) the arguments of requests.
 */
import type { DecisionKind, Digest, JsonObject } from '@writ/verify'

/** One policy's answer to a request, as a shadow report or a replay names it. */
export interface DecisionSummary {
  readonly decision: DecisionKind
  readonly rule: string | null
  readonly reason: string
  /** The digest of the policy that answered. */
  readonly digest: Digest
}

/** A request on which the shadow candidate decided otherwise than the enforcing policy. */
export interface ShadowDisagreement {
  /** The request id (`req`) of the enforcing receipt. */
  readonly request: string
  /** The enforcing receipt's `jti`. */
  readonly receipt: string
  /** Decision time (`iat`), seconds since the epoch. */
  readonly at: number
  /** The action name the receipt signs. */
  readonly action: string
  /** What the enforcing policy decided (and signed). */
  readonly enforcing: DecisionSummary
  /** What the candidate would have decided. */
  readonly candidate: DecisionSummary
}

/** A request's arguments and context kept beside its receipt (argument retention). */
export interface RetainedRequest {
  /** The receipt's `jti`. */
  readonly receipt: string
  /** The arguments, with each redacted path's value replaced by that value's digest. */
  readonly args: JsonObject
  /** The context, redacted the same way. */
  readonly context: JsonObject
  /** The redacted paths that were present (`args.card.number`, `context.user`). */
  readonly redacted: readonly string[]
  /**
   * The request's session (`null` when it named none), so a replay can rebuild each
   * session's history in order. Absent from copies kept before Writ recorded it: such a
   * copy cannot be replayed by a candidate that reads the session.
   */
  readonly session?: string | null
  /** The tags of the rule that decided (the session's history records them). */
  readonly tags?: readonly string[]
}

/** Bounds of a read of {@link PolicyRecords.disagreements}, in seconds since the epoch. */
export interface RecordRange {
  readonly since?: number
  readonly until?: number
}

/**
 * The part of a store that keeps policy-operations records. Nothing here is evidence:
 * receipts are. A record that cannot be written never changes a decision.
 */
export interface PolicyRecords {
  /** The store's retention rules; `undefined` (the default) keeps no arguments. */
  readonly retention: RetentionRules | undefined
  putDisagreement(record: ShadowDisagreement): Promise<void>
  /** Disagreements in the order they were recorded, within `range` (inclusive). */
  disagreements(range?: RecordRange): AsyncIterable<ShadowDisagreement>
  putRetained(record: RetainedRequest): Promise<void>
  /** The retained copy for a receipt, as stored (check it with `checkRetained`). */
  retained(receipt: string): Promise<RetainedRequest | undefined>
}

/** One retention rule: the actions whose requests are kept, and the paths never kept as they are. */
export interface RetentionRule {
  /** Action names or globs (`payments.*`), as in a policy rule. */
  readonly actions: string | readonly string[]
  /**
   * Dotted paths into `args` or `context` (`args.card.number`, `context.user.email`) whose
   * values are replaced by their digest before anything is written.
   */
  readonly redact?: readonly string[]
}

/** Retention rules checked once, ready to say what to keep of a request. */
export interface RetentionRules {
  /** The redacted paths for `action`, or `undefined` when its requests are not kept. */
  plan(action: string): readonly (readonly string[])[] | undefined
}
