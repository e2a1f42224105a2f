import type { DecisionKind, Digest, JsonObject } from '@writ/verify'
import type { LimitCheck } from '../types.js'
import type { HistoryEntry } from './cel.js'
import type { ConditionErrorCode } from './cel-guard.js'
import type { PolicyProblem } from './policy-problem.js'
import type { PolicyDocument } from './schema.js'

/** What a policy decides on. */
export interface EvaluationInput {
  /** The action name, e.g. `payments.transfer`. */
  readonly action: string
  /** The (validated, I-JSON) arguments. */
  readonly args: Readonly<JsonObject>
  /** The agent (principal) id. */
  readonly agent: string
  /** Extra facts for conditions. */
  readonly context: Readonly<JsonObject>
  /** Decision time, seconds since the epoch; conditions see it as the timestamp `now`. */
  readonly now: number
  /**
   * The audience the request names (the receipt's `aud`); conditions see it as
   * `audience`, `null` when absent.
   */
  readonly audience?: string | null
  /**
   * The session the request belongs to (set by the application or the authority, never
   * by the model); counts `per: session` limits. Without one such a limit refuses the
   * request (DENY `SESSION_REQUIRED`).
   */
  readonly session?: string | null
  /**
   * The decisions made earlier in the session, oldest first (conditions see them as
   * `history`). `null` or absent when the request has no session: a rule or limit whose
   * condition reads `history` then refuses the request (DENY `SESSION_REQUIRED`).
   */
  readonly history?: readonly HistoryEntry[] | null
}

/** What an `approve` rule asks for (spec section 11). */
export interface ApprovalRequirement {
  /** The approver group, defined in the authority's configuration. */
  readonly group: string
  /** How many distinct approvers of the group must approve. */
  readonly quorum: number
  /** How long the hold stays open, in seconds. */
  readonly ttlSeconds: number
}

/** A policy's verdict, before limits are checked by the store. */
export interface Evaluation {
  readonly decision: DecisionKind
  /** The reason code (spec section 4, or the deciding rule's own). */
  readonly reason: string
  /** The deciding rule (or limit, for an `EVAL_ERROR` in a limit), `null` when none decided. */
  readonly rule: string | null
  /**
   * Limits to check atomically when `decision` is `PERMIT`, or when the action is held
   * for approval (checked when the PERMIT is issued); empty otherwise.
   */
  readonly limits: readonly LimitCheck[]
  /**
   * Set when an `approve` rule holds (the decision is then `SILENCE` with reason
   * `APPROVAL_REQUIRED` and `rule` the approve rule): who must approve, and for how long.
   */
  readonly approval?: ApprovalRequirement
  /** The deciding rule's tags, when it has any; a session's history records them. */
  readonly tags?: readonly string[]
  /**
   * Why the condition failed, when `reason` is `EVAL_ERROR` because a rule or limit
   * failed to evaluate: `EVAL_BUDGET_EXCEEDED`, `EVAL_SIZE_LIMIT`, `EVAL_TYPE_MISMATCH`
   * or `EVAL_FAILED`. Absent otherwise. Not signed into receipts.
   */
  readonly errorCode?: ConditionErrorCode
}

/** How one rule fared, in an {@link Explanation}. */
export interface RuleExplanation {
  readonly id: string
  readonly effect: 'permit' | 'deny' | 'approve'
  /** The reason code the rule would report. */
  readonly reason: string
  /** True when one of the rule's `actions` matches the action. */
  readonly applies: boolean
  /** Whether the rule's condition held; `null` when the rule does not apply or its condition failed. */
  readonly holds: boolean | null
  /** Why the condition failed to evaluate, or `null`. */
  readonly error: string | null
  /** The code of that failure (`EVAL_TYPE_MISMATCH`, …), or `null`. */
  readonly errorCode: ConditionErrorCode | null
}

/** How one limit fared, in an {@link Explanation}. */
export interface LimitExplanation {
  readonly id: string
  readonly applies: boolean
  /** Whether the limit's `when` held (true when it has none); `null` when it does not apply or failed. */
  readonly holds: boolean | null
  /** What this request would add; `null` when not computed. */
  readonly amount: number | null
  readonly error: string | null
  readonly errorCode: ConditionErrorCode | null
}

/** Every rule and limit of a policy, evaluated for one input, with the resulting evaluation. */
export interface Explanation {
  readonly evaluation: Evaluation
  /** Every rule, sorted by id (code-point order). */
  readonly rules: readonly RuleExplanation[]
  /** Every limit, sorted by id. */
  readonly limits: readonly LimitExplanation[]
}

/** A policy compiled once at load, ready to decide on the hot path. */
export interface CompiledPolicy {
  /** The policy id, signed into receipts as `policy.id`. */
  readonly id: string
  /** The version: `sha256:` of the RFC 8785 bytes of the document's JSON data model. */
  readonly digest: Digest
  /** The validated document (deep-frozen). */
  readonly document: PolicyDocument
  /** Where the policy came from (file name), when known. */
  readonly source: string | undefined
  /**
   * Patterns that are allowed but may be slow on large arguments (a comprehension nested
   * in another over argument lists, `in` over an argument list inside one), each with
   * its location. `writ policy check` prints them.
   */
  readonly warnings: readonly PolicyProblem[]
  /** Decides. Never throws: any failure is a DENY with reason `EVAL_ERROR`. */
  evaluate(input: EvaluationInput): Evaluation
  /** Evaluates every rule and limit, for people and for `writ policy explain`. */
  explain(input: EvaluationInput): Explanation
  /**
   * The id of a rule or limit applying to `action` whose condition reads `history`
   * (the smallest), or `undefined` when none does. Absent on a policy that reads none.
   */
  readsHistory?(action: string): string | undefined
}
