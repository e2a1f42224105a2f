/**
 * Step three of deciding: a PERMIT that would exceed a limit becomes a DENY carrying the
 * limit's reason and id. The store finds the exceeded limit while it appends, so this
 * runs inside the append, on what the store saw.
 */
import type { LimitCheck } from '../types.js'
import type { Outcome } from './outcome.js'
import { isSignableString } from './signable.js'

/** The outcome to sign once the store has checked the limits (`exceeded`: the first over). */
export function applyLimits(outcome: Outcome, exceeded: LimitCheck | null): Outcome {
  if (outcome.decision !== 'PERMIT' || exceeded === null) return outcome
  return { decision: 'DENY', reason: limitReason(exceeded), rule: exceeded.id }
}

/** The reason a DENY for an exceeded limit carries: the limit's own, else `LIMIT_EXCEEDED`. */
export function limitReason(limit: LimitCheck): string {
  return isSignableString(limit.reason, 64) ? limit.reason : 'LIMIT_EXCEEDED'
}
