import type { DecisionKind, Digest, JsonObject } from '@writ/verify'
import type { LimitCheck } from '../types.js'
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
}

/** A policy's verdict, before limits are checked by the store. */
export interface Evaluation {
  readonly decision: DecisionKind
  /** The reason code (spec section 4, or the deciding rule's own). */
  readonly reason: string
  /** The deciding rule (or limit, for an `EVAL_ERROR` in a limit), `null` when none decided. */
  readonly rule: string | null
  /** Limits to check atomically when `decision` is `PERMIT`; empty otherwise. */
  readonly limits: readonly LimitCheck[]
}

/** How one rule fared, in an {@link Explanation}. */
export interface RuleExplanation {
  readonly id: string
  readonly effect: 'permit' | 'deny'
  /** The reason code the rule would report. */
  readonly reason: string
  /** True when one of the rule's `actions` matches the action. */
  readonly applies: boolean
  /** Whether the rule's condition held; `null` when the rule does not apply or its condition failed. */
  readonly holds: boolean | null
  /** Why the condition failed to evaluate, or `null`. */
  readonly error: string | null
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
  /** Decides. Never throws: any failure is a DENY with reason `EVAL_ERROR`. */
  evaluate(input: EvaluationInput): Evaluation
  /** Evaluates every rule and limit, for people and for `writ policy explain`. */
  explain(input: EvaluationInput): Explanation
}
