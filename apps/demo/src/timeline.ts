/**
 * The record of what happened in a scenario: each decision the gate made, and what
 * the receiving service did with the request that followed (or without one).
 */
import type { Decision } from '@writ/core'
import type { JsonObject } from '@writ/verify'
import { decodeJws } from '@writ/verify/internal'
import type { ServiceName } from './routes.js'

/** What a receiving service did with one request. */
export interface ServiceOutcome {
  readonly service: ServiceName
  readonly status: number
  /** True when the service carried the action out. */
  readonly executed: boolean
  /** The service's refusal code (`RECEIPT_MISSING`, `REPLAYED`…), `null` when it executed. */
  readonly code: string | null
}

/** One step of a scenario. */
export interface TimelineStep {
  /** `gate`: the gate decided; `direct`: a request sent without asking the gate. */
  readonly kind: 'gate' | 'direct'
  readonly action: string
  /** The arguments as decided (or as sent, for a direct request). */
  readonly args: unknown
  readonly agent: string | null
  readonly decision: 'PERMIT' | 'DENY' | 'SILENCE' | null
  readonly rule: string | null
  readonly reason: string | null
  readonly receiptId: string | null
  readonly receipt: string | null
  /** What the receiving service did, when a request reached it. */
  service: ServiceOutcome | null
  /** A line for the page, e.g. "replays the receipt of step 1". */
  readonly note: string | null
}

/** Collects the steps of the scenario running now. Scenarios run one at a time. */
export class Timeline {
  #steps: TimelineStep[] = []

  /** The steps so far, oldest first. */
  get steps(): readonly TimelineStep[] {
    return this.#steps
  }

  /** Starts a new scenario. */
  reset(): void {
    this.#steps = []
  }

  /** Records a decision of the gate. */
  decided(decision: Decision, args: unknown, agent: string | null): void {
    this.#steps.push({
      kind: 'gate',
      action: decision.claims.act.name,
      args: readableArgs(args),
      agent,
      decision: decision.decision,
      rule: decision.rule,
      reason: decision.reason,
      receiptId: decision.claims.jti,
      receipt: decision.receipt,
      service: null,
      note: null,
    })
  }

  /** Records a request sent without asking the gate (an attack). */
  direct(action: string, args: unknown, note: string, receipt: string | null): TimelineStep {
    const step: TimelineStep = {
      kind: 'direct',
      action,
      args,
      agent: null,
      decision: null,
      rule: null,
      reason: null,
      receiptId: receipt === null ? null : receiptIdOf(receipt),
      receipt,
      service: null,
      note,
    }
    this.#steps.push(step)
    return step
  }

  /**
   * Records what a service did with a request that carried `receipt` (or none): on the
   * gate step that issued it, else on the latest direct step.
   */
  served(receipt: string | null, outcome: ServiceOutcome): void {
    const jti = receipt === null ? null : receiptIdOf(receipt)
    const steps = this.#steps
    for (let index = steps.length - 1; index >= 0; index -= 1) {
      const step = steps[index]
      if (step === undefined || step.service !== null) continue
      if (step.kind === 'direct' || (jti !== null && step.receiptId === jti)) {
        step.service = outcome
        return
      }
    }
  }
}

/** The `jti` a token claims, without verifying it; `null` when it cannot be read. */
export function receiptIdOf(token: string): string | null {
  try {
    const jti = decodeJws(token).claims['jti']
    return typeof jti === 'string' ? jti : null
  } catch {
    return null
  }
}

function readableArgs(args: unknown): unknown {
  if (typeof args !== 'string') return args as JsonObject
  try {
    return JSON.parse(args) as unknown
  } catch {
    return args
  }
}
