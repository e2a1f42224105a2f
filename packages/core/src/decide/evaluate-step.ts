/**
 * Step two of deciding: the policy's outcome for a normalized request, and the limits a
 * PERMIT must fit. Fails closed: refused input is a DENY `INPUT_INVALID`, and a policy
 * that throws or returns something malformed is a DENY `EVAL_ERROR`, never a PERMIT.
 */
import type { HistoryEntry } from '../policy/cel.js'
import type { ApprovalRequirement, CompiledPolicy, Evaluation } from '../policy/index.js'
import { MAX_RULE_TAGS, TAG_PATTERN } from '../policy/schema.js'
import type { LimitCheck } from '../types.js'
import type { NormalizedRequest } from './normalize-request.js'
import type { Outcome } from './outcome.js'
import { isShortString, isSignableString } from './signable.js'

/** The outcome of evaluating, with the limits to check when it is a PERMIT. */
export interface EvaluatedStep {
  readonly outcome: Outcome
  /** Copies of the policy's limit checks; empty unless the outcome is a PERMIT or a hold. */
  readonly limits: readonly LimitCheck[]
  /** Set when an approve rule holds the action (the outcome is then SILENCE `APPROVAL_REQUIRED`). */
  readonly approval?: ApprovalRequirement
  /** The deciding rule's tags (for the session's history); empty when none. */
  readonly tags: readonly string[]
}

const NONE: readonly never[] = Object.freeze([])

const inputInvalid: EvaluatedStep = Object.freeze({
  outcome: Object.freeze({ decision: 'DENY', reason: 'INPUT_INVALID', rule: null }),
  limits: NONE,
  tags: NONE,
})

const evalError: EvaluatedStep = Object.freeze({
  outcome: Object.freeze({ decision: 'DENY', reason: 'EVAL_ERROR', rule: null }),
  limits: NONE,
  tags: NONE,
})

/** The step for a decision made before the policy runs (a session past its bounds). */
export function refusedStep(reason: string, rule: string): EvaluatedStep {
  return { outcome: { decision: 'DENY', reason, rule }, limits: NONE, tags: NONE }
}

/**
 * Evaluates `request` under `policy` at `now` (seconds since the epoch), with the
 * session's earlier decisions (`null` when none were read).
 */
export function evaluateStep(
  policy: CompiledPolicy,
  request: NormalizedRequest,
  now: number,
  history: readonly HistoryEntry[] | null = null,
): EvaluatedStep {
  const { problem, action, args } = request
  if (problem !== undefined || action === undefined || args === undefined) return inputInvalid
  try {
    const evaluation = checkEvaluation(
      policy.evaluate({
        action,
        args: args.value,
        agent: request.agent,
        context: request.context,
        now,
        audience: request.audience ?? null,
        session: request.session ?? null,
        history,
      }),
    )
    const { decision, reason, rule, approval } = evaluation
    const held = approval !== undefined && decision === 'SILENCE'
    return {
      outcome: { decision, reason, rule },
      // Limits only matter for a PERMIT (now, or once a hold is approved): a refusal reserves nothing.
      limits: decision === 'PERMIT' || held ? evaluation.limits.map((limit) => ({ ...limit })) : [],
      ...(held ? { approval: { ...approval } } : {}),
      tags: evaluation.tags === undefined ? NONE : Object.freeze([...evaluation.tags]),
    }
  } catch {
    // Fail closed: an evaluation that cannot finish is a DENY, never a PERMIT.
    return evalError
  }
}

const decisionKinds: ReadonlySet<unknown> = new Set(['PERMIT', 'DENY', 'SILENCE'])

/** Checks what a policy returned; anything unexpected is an evaluation error. */
export function checkEvaluation(value: unknown): Evaluation {
  const evaluation = value as Partial<Evaluation> | undefined
  if (
    !decisionKinds.has(evaluation?.decision) ||
    !isSignableString(evaluation?.reason, 256) ||
    !(evaluation?.rule === null || isSignableString(evaluation?.rule, 256)) ||
    !Array.isArray(evaluation?.limits)
  ) {
    throw new TypeError('The policy returned a malformed evaluation.')
  }
  for (const limit of evaluation.limits as readonly Partial<LimitCheck>[]) {
    if (!isLimitCheck(limit)) throw new TypeError('The policy returned a malformed limit.')
  }
  if (evaluation.tags !== undefined && !isTagList(evaluation.tags)) {
    throw new TypeError('The policy returned malformed tags.')
  }
  if (evaluation.approval !== undefined && !isApproval(evaluation.approval)) {
    throw new TypeError('The policy returned a malformed approval requirement.')
  }
  return evaluation as Evaluation
}

function isLimitCheck(limit: Partial<LimitCheck> | undefined): boolean {
  return (
    isSignableString(limit?.id, 256) &&
    isShortString(limit?.key, 1024) &&
    typeof limit?.windowSeconds === 'number' &&
    limit.windowSeconds > 0 &&
    typeof limit.max === 'number' &&
    !Number.isNaN(limit.max) &&
    typeof limit.amount === 'number' &&
    Number.isFinite(limit.amount)
  )
}

function isTagList(tags: unknown): boolean {
  return (
    Array.isArray(tags) &&
    tags.length <= MAX_RULE_TAGS &&
    tags.every((tag) => typeof tag === 'string' && TAG_PATTERN.test(tag))
  )
}

function isApproval(approval: Partial<ApprovalRequirement>): boolean {
  return (
    isSignableString(approval.group, 128) &&
    Number.isSafeInteger(approval.quorum) &&
    (approval.quorum ?? 0) >= 1 &&
    Number.isSafeInteger(approval.ttlSeconds) &&
    (approval.ttlSeconds ?? 0) > 0 &&
    (approval.ttlSeconds ?? 0) <= 86_400
  )
}
