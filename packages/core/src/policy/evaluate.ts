import type { LimitCheck } from '../types.js'
import { ActionIndex } from './action-index.js'
import type { CompiledAmount, CompiledCondition, ConditionActivation, HistoryEntry } from './cel.js'
import { type ConditionErrorCode, conditionErrorCode } from './cel-guard.js'
import type {
  ApprovalRequirement,
  Evaluation,
  EvaluationInput,
  Explanation,
  LimitExplanation,
  RuleExplanation,
} from './policy-types.js'

/** A rule ready for evaluation. */
export interface PreparedRule {
  readonly id: string
  readonly effect: 'permit' | 'deny' | 'approve'
  readonly reason: string
  readonly actions: readonly string[]
  readonly condition: CompiledCondition | undefined
  /** Tags attached to the decisions this rule makes (sorted, no repeats). */
  readonly tags?: readonly string[]
  /** For an approve rule: who must approve, and for how long. */
  readonly approval?: ApprovalRequirement
}

/** A limit ready for evaluation. */
export interface PreparedLimit {
  readonly id: string
  readonly actions: readonly string[]
  readonly condition: CompiledCondition | undefined
  /** `undefined` for `count: true` (each request adds 1). */
  readonly amount: CompiledAmount | undefined
  readonly per: 'agent' | 'session' | 'global'
  readonly windowSeconds: number
  readonly max: number
  /** The reason a refusal by this limit carries (`LIMIT_EXCEEDED` unless the policy names one). */
  readonly reason: string
}

/** Reason codes the policy engine itself reports. */
export const POLICY_REASONS = Object.freeze({
  RULE_PERMIT: 'RULE_PERMIT',
  RULE_DENY: 'RULE_DENY',
  NO_APPLICABLE_RULE: 'NO_APPLICABLE_RULE',
  CONDITION_FALSE: 'CONDITION_FALSE',
  EVAL_ERROR: 'EVAL_ERROR',
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  APPROVAL_REQUIRED: 'APPROVAL_REQUIRED',
  SESSION_REQUIRED: 'SESSION_REQUIRED',
  SESSION_HISTORY_EXCEEDED: 'SESSION_HISTORY_EXCEEDED',
} as const)

const NO_LIMITS: readonly LimitCheck[] = Object.freeze([])
const NO_HISTORY: readonly HistoryEntry[] = Object.freeze([])

/** The counter a limit adds to for this request; `undefined` for a per-session limit without a session. */
function limitKey(
  limit: { id: string; per: 'agent' | 'session' | 'global' },
  input: EvaluationInput,
): string | undefined {
  if (limit.per === 'agent') return `${limit.id}|agent:${input.agent}`
  if (limit.per === 'global') return `${limit.id}|global`
  const session = input.session
  return typeof session === 'string' && session !== ''
    ? `${limit.id}|session:${session}`
    : undefined
}
const EPOCH = new Date(0)

function outcome(
  decision: Evaluation['decision'],
  reason: string,
  rule: string | null,
): Evaluation {
  return Object.freeze({ decision, reason, rule, limits: NO_LIMITS })
}

const NO_APPLICABLE_RULE = outcome('SILENCE', POLICY_REASONS.NO_APPLICABLE_RULE, null)
const CONDITION_FALSE = outcome('SILENCE', POLICY_REASONS.CONDITION_FALSE, null)
const EVAL_ERROR_NO_RULE = outcome('DENY', POLICY_REASONS.EVAL_ERROR, null)

interface IndexedRule extends PreparedRule {
  /** The frozen result when this rule decides (DENY for deny rules, PERMIT without limits for permits). */
  readonly decided: Evaluation
  /** The frozen DENY `EVAL_ERROR` naming this rule. */
  readonly failed: Evaluation
}

interface IndexedLimit extends PreparedLimit {
  readonly failed: Evaluation
}

/** The first rule that failed to evaluate (smallest id), and its error. */
interface Failure {
  rule: IndexedRule | undefined
  error: unknown
}

function noteFailure(failure: Failure, rule: IndexedRule, error: unknown): void {
  if (failure.rule === undefined || rule.id < failure.rule.id) {
    failure.rule = rule
    failure.error = error
  }
}

/** The smallest-id rule of `rules` that holds; failures are noted in `failure`. */
function firstHolding(
  rules: readonly IndexedRule[],
  activation: ConditionActivation,
  failure: Failure,
): IndexedRule | undefined {
  let holding: IndexedRule | undefined
  for (const rule of rules) {
    if (rule.condition === undefined) {
      holding ??= rule
      continue
    }
    try {
      if (rule.condition.evaluate(activation)) holding ??= rule
    } catch (error) {
      noteFailure(failure, rule, error)
    }
  }
  return holding
}

/** What a rule decides when it holds: DENY for a deny rule, PERMIT (no limits) otherwise. */
function decidedBy(rule: PreparedRule): Evaluation {
  const decided = outcome(rule.effect === 'deny' ? 'DENY' : 'PERMIT', rule.reason, rule.id)
  return withTags(decided, rule.tags)
}

/** `evaluation` carrying the deciding rule's tags (unchanged when it has none). */
function withTags(evaluation: Evaluation, tags: readonly string[] | undefined): Evaluation {
  if (tags === undefined || tags.length === 0) return evaluation
  return Object.freeze({ ...evaluation, tags })
}

/** The smallest-id rule or limit among `lists` whose condition reads `history`. */
function firstReadingHistory(
  lists: readonly (readonly (IndexedRule | IndexedLimit)[])[],
): string | undefined {
  let first: string | undefined
  for (const list of lists) {
    for (const item of list) {
      const reads =
        item.condition?.usesHistory === true ||
        ('amount' in item && item.amount?.usesHistory === true)
      if (reads && (first === undefined || item.id < first)) first = item.id
    }
  }
  return first
}

const byId = <T extends { readonly id: string }>(left: T, right: T): number =>
  left.id < right.id ? -1 : left.id > right.id ? 1 : 0

/** The DENY `EVAL_ERROR` of a rule or limit, with the code of the error that caused it. */
function failedWith(failed: Evaluation, error: unknown): Evaluation {
  const errorCode: ConditionErrorCode = conditionErrorCode(error)
  return Object.freeze({ ...failed, errorCode })
}

function describe(error: unknown): string {
  if (error instanceof Error) return (error.message.split('\n')[0] ?? error.name) || error.name
  return String(error)
}

/**
 * The decision procedure of RECEIPT-SPEC section 3, over rules and limits already compiled.
 *
 * For the rules that apply to the action (their `actions` match):
 * 1. a deny rule that holds decides DENY; among several, the smallest id reports (even if
 *    other applicable rules fail to evaluate: the outcome is DENY either way, and the
 *    explicit deny's reason is the more useful one);
 * 2. otherwise, if any applicable rule (permit or deny) fails to evaluate, DENY
 *    `EVAL_ERROR` naming the smallest failing id;
 * 3. otherwise, if an approve rule holds, SILENCE `APPROVAL_REQUIRED` naming the smallest
 *    holding approve rule, with its {@link ApprovalRequirement} and the limits the PERMIT
 *    would have to fit (deny > approve > permit > silence, spec section 11);
 * 4. otherwise, if a permit rule holds, PERMIT (smallest holding id reports), with the
 *    matching limits to check; a limit that fails to evaluate is DENY `EVAL_ERROR` naming it;
 * 5. otherwise SILENCE: `NO_APPLICABLE_RULE` when none applied, else `CONDITION_FALSE`.
 *
 * Every step depends only on the set of rules, never their order, so order and
 * duplicates never change (decision, rule, reason).
 */
export class PolicyEvaluator {
  readonly #denies: ActionIndex<IndexedRule>
  readonly #permits: ActionIndex<IndexedRule>
  readonly #approves: ActionIndex<IndexedRule>
  readonly #limits: ActionIndex<IndexedLimit>
  readonly #rules: readonly IndexedRule[]
  readonly #allLimits: readonly IndexedLimit[]
  readonly #usesNow: boolean

  constructor(
    rules: readonly PreparedRule[],
    limits: readonly PreparedLimit[],
    options: { readonly cacheSize?: number } = {},
  ) {
    const indexed: IndexedRule[] = rules
      .map((rule) => ({
        ...rule,
        decided: decidedBy(rule),
        failed: outcome('DENY', POLICY_REASONS.EVAL_ERROR, rule.id),
      }))
      .sort(byId)
    const indexedLimits: IndexedLimit[] = limits
      .map((limit) => ({ ...limit, failed: outcome('DENY', POLICY_REASONS.EVAL_ERROR, limit.id) }))
      .sort(byId)
    const entries = (list: readonly IndexedRule[]) =>
      list.map((rule) => ({ patterns: rule.actions, value: rule }))
    this.#rules = indexed
    this.#allLimits = indexedLimits
    this.#denies = new ActionIndex(
      entries(indexed.filter((rule) => rule.effect === 'deny')),
      options.cacheSize,
    )
    this.#permits = new ActionIndex(
      entries(indexed.filter((rule) => rule.effect === 'permit')),
      options.cacheSize,
    )
    this.#approves = new ActionIndex(
      entries(indexed.filter((rule) => rule.effect === 'approve')),
      options.cacheSize,
    )
    this.#limits = new ActionIndex(
      indexedLimits.map((limit) => ({ patterns: limit.actions, value: limit })),
      options.cacheSize,
    )
    this.#usesNow =
      indexed.some((rule) => rule.condition?.usesNow === true) ||
      indexedLimits.some(
        (limit) => limit.condition?.usesNow === true || limit.amount?.usesNow === true,
      )
  }

  #activation(input: EvaluationInput): ConditionActivation | undefined {
    let now = EPOCH
    if (this.#usesNow) {
      if (typeof input.now !== 'number' || !Number.isFinite(input.now)) return undefined
      now = new Date(input.now * 1000)
    }
    return {
      args: input.args,
      agent: input.agent,
      context: input.context,
      now,
      audience: typeof input.audience === 'string' ? input.audience : null,
      history: Array.isArray(input.history) ? input.history : NO_HISTORY,
    }
  }

  /**
   * The rule or limit applying to `action` that reads `history` (smallest id), or
   * `undefined`: a gate reads the session's history only when one does.
   */
  readsHistory(action: string): string | undefined {
    return firstReadingHistory([
      this.#denies.lookup(action),
      this.#permits.lookup(action),
      this.#approves.lookup(action),
      this.#limits.lookup(action),
    ])
  }

  /** Decides for one input. Never throws. */
  evaluate(input: EvaluationInput): Evaluation {
    try {
      return this.#evaluate(input)
    } catch {
      // Fail closed: an unexpected failure is never a PERMIT.
      return EVAL_ERROR_NO_RULE
    }
  }

  #evaluate(input: EvaluationInput): Evaluation {
    const denies = this.#denies.lookup(input.action)
    const permits = this.#permits.lookup(input.action)
    const approves = this.#approves.lookup(input.action)
    if (denies.length === 0 && permits.length === 0 && approves.length === 0)
      return NO_APPLICABLE_RULE
    const activation = this.#activation(input)
    if (activation === undefined) return EVAL_ERROR_NO_RULE
    if (!Array.isArray(input.history)) {
      // A condition over the session's history cannot judge a request without one: fail closed.
      const reader = this.readsHistory(input.action)
      if (reader !== undefined) return outcome('DENY', POLICY_REASONS.SESSION_REQUIRED, reader)
    }

    const failure: Failure = { rule: undefined, error: undefined }
    // Denies are sorted by id: the first that holds is the smallest holding deny.
    for (const rule of denies) {
      if (rule.condition === undefined) return rule.decided
      try {
        if (rule.condition.evaluate(activation)) return rule.decided
      } catch (error) {
        noteFailure(failure, rule, error)
      }
    }
    const approved = firstHolding(approves, activation, failure)
    const permitted = firstHolding(permits, activation, failure)
    if (failure.rule !== undefined) return failedWith(failure.rule.failed, failure.error)
    if (approved !== undefined) return this.#held(approved, input, activation)
    if (permitted === undefined) return CONDITION_FALSE
    return this.#withLimits(permitted, input, activation)
  }

  /** The hold an approve rule asks for, with the limits its eventual PERMIT must fit. */
  #held(rule: IndexedRule, input: EvaluationInput, activation: ConditionActivation): Evaluation {
    const asPermit = this.#withLimits(rule, input, activation)
    // A limit that fails to evaluate refuses now: nobody should approve what cannot run.
    if (asPermit.decision === 'DENY') return asPermit
    return Object.freeze({
      decision: 'SILENCE',
      reason: POLICY_REASONS.APPROVAL_REQUIRED,
      rule: rule.id,
      limits: asPermit.limits,
      ...(rule.approval === undefined ? {} : { approval: rule.approval }),
      ...(rule.tags === undefined || rule.tags.length === 0 ? {} : { tags: rule.tags }),
    })
  }

  #withLimits(
    permitted: IndexedRule,
    input: EvaluationInput,
    activation: ConditionActivation,
  ): Evaluation {
    const limits = this.#limits.lookup(input.action)
    if (limits.length === 0) return permitted.decided
    const checks: LimitCheck[] = []
    // Limits are sorted by id: the first failure is the smallest failing limit id.
    for (const limit of limits) {
      let amount: number
      try {
        if (limit.condition !== undefined && !limit.condition.evaluate(activation)) continue
        amount = limit.amount === undefined ? 1 : limit.amount.evaluate(activation)
      } catch (error) {
        return failedWith(limit.failed, error)
      }
      const key = limitKey(limit, input)
      // A per-session limit cannot count a request that names no session: fail closed.
      if (key === undefined) return outcome('DENY', POLICY_REASONS.SESSION_REQUIRED, limit.id)
      checks.push(
        Object.freeze({
          id: limit.id,
          key,
          windowSeconds: limit.windowSeconds,
          max: limit.max,
          amount,
          reason: limit.reason,
        }),
      )
    }
    if (checks.length === 0) return permitted.decided
    return Object.freeze({
      decision: 'PERMIT',
      reason: permitted.reason,
      rule: permitted.id,
      limits: Object.freeze(checks),
      ...(permitted.tags === undefined || permitted.tags.length === 0
        ? {}
        : { tags: permitted.tags }),
    })
  }

  /** Evaluates every rule and limit for `input`, and the evaluation itself. */
  explain(input: EvaluationInput): Explanation {
    const evaluation = this.evaluate(input)
    const denies = new Set<IndexedRule>(this.#denies.lookup(input.action))
    const permits = new Set<IndexedRule>([
      ...this.#permits.lookup(input.action),
      ...this.#approves.lookup(input.action),
    ])
    const applicableLimits = new Set<IndexedLimit>(this.#limits.lookup(input.action))
    const activation = this.#activation(input)
    const nowError = 'now is not a finite number of seconds'
    const rules: RuleExplanation[] = this.#rules.map((rule) => {
      const applies = denies.has(rule) || permits.has(rule)
      let holds: boolean | null = null
      let error: string | null = null
      let errorCode: ConditionErrorCode | null = null
      if (applies) {
        if (rule.condition === undefined) holds = true
        else if (activation === undefined) error = nowError
        else {
          try {
            holds = rule.condition.evaluate(activation)
          } catch (caught) {
            error = describe(caught)
            errorCode = conditionErrorCode(caught)
          }
        }
      }
      return {
        id: rule.id,
        effect: rule.effect,
        reason: rule.reason,
        applies,
        holds,
        error,
        errorCode,
      }
    })
    const limits: LimitExplanation[] = this.#allLimits.map((limit) => {
      const applies = applicableLimits.has(limit)
      let holds: boolean | null = null
      let amount: number | null = null
      let error: string | null = null
      let errorCode: ConditionErrorCode | null = null
      if (applies) {
        if (activation === undefined) error = nowError
        else {
          try {
            holds = limit.condition === undefined ? true : limit.condition.evaluate(activation)
            if (holds) amount = limit.amount === undefined ? 1 : limit.amount.evaluate(activation)
          } catch (caught) {
            error = describe(caught)
            errorCode = conditionErrorCode(caught)
            holds = holds === true ? true : null
          }
        }
      }
      return { id: limit.id, applies, holds, amount, error, errorCode }
    })
    return { evaluation, rules, limits }
  }
}
