/**
 * Shadow mode: every request is also evaluated by a candidate policy. Only the enforcing
 * policy decides, signs and acts; the candidate's answer is compared, and a disagreement
 * is recorded. A candidate that fails, or a record that cannot be written, is counted
 * and never changes the enforcing decision.
 */

import { evaluateStep, refusedStep } from '../decide/evaluate-step.js'
import type { NormalizedRequest } from '../decide/normalize-request.js'
import type { Outcome } from '../decide/outcome.js'
import type { CompiledPolicy } from '../policy/index.js'
import type { SessionView } from '../session-history.js'
import type { Decision } from '../types.js'
import { createLimitSimulator } from './limit-simulator.js'
import type { DecisionSummary, PolicyRecords, ShadowDisagreement } from './records.js'

/** Counters of a gate's shadow candidate, for metrics. */
export interface ShadowStats {
  /** The candidate's id and digest. */
  readonly id: string
  readonly digest: string
  /** Requests the candidate evaluated. */
  readonly evaluated: number
  /** Requests on which it decided otherwise than the enforcing policy. */
  readonly disagreements: number
  /** Evaluations or records that failed (the enforcing decision stood). */
  readonly failures: number
}

/**
 * The session history a candidate is judged on: the history the enforcing decision read
 * (or the same read made for the candidate alone), or `unread` when that read failed,
 * which is counted as a failure rather than judged on a guess.
 */
export type CandidateView = SessionView | { readonly kind: 'unread' }

/** A shadow candidate running beside a gate. */
export interface ShadowRunner {
  /** The candidate policy. */
  readonly candidate: CompiledPolicy
  stats(): ShadowStats
  /** Evaluates the candidate for a decided request, on `view` of its session; never throws. */
  observe(request: NormalizedRequest, decision: Decision, view?: CandidateView): Promise<void>
}

/** True when two answers differ in decision, rule or reason. */
export function outcomesDiffer(left: Outcome, right: Outcome): boolean {
  return (
    left.decision !== right.decision || left.rule !== right.rule || left.reason !== right.reason
  )
}

const NO_VIEW: SessionView = Object.freeze({ kind: 'none' })

/**
 * The candidate's answer for one request at `now` on `view` of its session (a history
 * of enforced decisions, as the gate reads it), limits simulated in order.
 */
export function candidateOutcome(
  candidate: CompiledPolicy,
  request: NormalizedRequest,
  now: number,
  settle: ReturnType<typeof createLimitSimulator>['settle'],
  view: SessionView = NO_VIEW,
): Outcome {
  const step =
    view.kind === 'refused'
      ? refusedStep(view.reason, view.rule)
      : evaluateStep(candidate, request, now, view.kind === 'read' ? view.history : null)
  return settle(step.outcome, step.limits, now)
}

/** Starts shadowing with `candidate`, recording disagreements in `records` when given. */
export function createShadowRunner(
  candidate: CompiledPolicy,
  records: PolicyRecords | undefined,
): ShadowRunner {
  const simulator = createLimitSimulator()
  const counts = { evaluated: 0, disagreements: 0, failures: 0 }
  return {
    candidate,
    stats: () => ({ id: candidate.id, digest: candidate.digest, ...counts }),
    async observe(request, decision, view = NO_VIEW) {
      try {
        if (view.kind === 'unread') throw new Error('the session could not be read')
        const claims = decision.claims
        const outcome = candidateOutcome(candidate, request, claims.iat, simulator.settle, view)
        counts.evaluated++
        if (!outcomesDiffer(outcome, decision)) return
        counts.disagreements++
        await records?.putDisagreement(disagreementOf(decision, outcome, candidate.digest))
      } catch {
        // The enforcing decision is already signed and stands; the miss is counted.
        counts.failures++
      }
    },
  }
}

function disagreementOf(
  decision: Decision,
  outcome: Outcome,
  candidateDigest: DecisionSummary['digest'],
): ShadowDisagreement {
  const claims = decision.claims
  return {
    request: claims.req,
    receipt: claims.jti,
    at: claims.iat,
    action: claims.act.name,
    enforcing: {
      decision: claims.decision,
      rule: claims.rule,
      reason: claims.reason,
      digest: claims.policy.digest,
    },
    candidate: { ...outcome, digest: candidateDigest },
  }
}
