/**
 * Stateful limits simulated in memory, in decision order: what a candidate policy's
 * limits would have done, without touching the store's real counters. Shadow mode and
 * replay both use it, so they agree on the same history.
 */
import { applyLimits } from '../decide/apply-limits.js'
import type { Outcome } from '../decide/outcome.js'
import type { LimitCheck } from '../types.js'

/** Reservations of one simulated policy. */
export interface LimitSimulator {
  /** The outcome after the limits at `now` (seconds); a PERMIT that fits reserves them. */
  settle(outcome: Outcome, limits: readonly LimitCheck[], now: number): Outcome
}

interface Reservation {
  readonly at: number
  readonly amount: number
}

/** A fresh simulator, with no reservations. Memory is bounded by the limits' windows. */
export function createLimitSimulator(): LimitSimulator {
  const reservations = new Map<string, Reservation[]>()
  const used = (limit: LimitCheck, now: number): number => {
    const windowStart = now - limit.windowSeconds
    const kept = (reservations.get(limit.key) ?? []).filter((entry) => entry.at > windowStart)
    reservations.set(limit.key, kept)
    return kept.reduce((sum, entry) => sum + entry.amount, 0)
  }
  return {
    settle(outcome, limits, now) {
      if (outcome.decision !== 'PERMIT' || limits.length === 0) return outcome
      const exceeded = limits.find((limit) => used(limit, now) + limit.amount > limit.max) ?? null
      const settled = applyLimits(outcome, exceeded)
      if (settled.decision === 'PERMIT') {
        for (const limit of limits) {
          reservations.get(limit.key)?.push({ at: now, amount: limit.amount })
        }
      }
      return settled
    },
  }
}
