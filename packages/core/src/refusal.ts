/**
 * Refusals as values: the `ACTION_REFUSED` error that `guard` rejects with, and the
 * one JSON payload every adapter hands back to a model or caller when an action does
 * not run, so that refusals read the same everywhere.
 */
import { WritError } from '@writ/verify'
import type { RefusalDecision } from './types.js'

/**
 * The error `guard` rejects with on DENY or SILENCE: code `ACTION_REFUSED`, with the
 * refusal (and its receipt) on `decision`.
 */
export class ActionRefusedError extends WritError {
  /** The DENY or SILENCE decision, with its signed receipt. */
  readonly decision: RefusalDecision

  constructor(decision: RefusalDecision) {
    super('ACTION_REFUSED', `The action was refused: ${decision.decision} (${decision.reason}).`, {
      details: {
        decision: decision.decision,
        reason: decision.reason,
        rule: decision.rule,
        receipt_id: decision.claims.jti,
      },
    })
    this.name = 'ActionRefusedError'
    this.decision = decision
  }
}

function isRefusalDecision(value: unknown): value is RefusalDecision {
  if (typeof value !== 'object' || value === null) return false
  const candidate = value as Partial<RefusalDecision>
  return (
    (candidate.decision === 'DENY' || candidate.decision === 'SILENCE') &&
    typeof candidate.reason === 'string' &&
    typeof candidate.receipt === 'string' &&
    typeof candidate.claims === 'object' &&
    candidate.claims !== null
  )
}

/**
 * The refusal carried by an `ACTION_REFUSED` error, or `undefined` for any other value
 * (including errors from another installed copy of Writ that carry no decision).
 *
 * @example
 * ```ts
 * try { await gate.guard(request, run) }
 * catch (error) { const refusal = refusalOf(error); if (refusal) log(refusal.receipt) }
 * ```
 */
export function refusalOf(error: unknown): RefusalDecision | undefined {
  if (!WritError.isInstance(error) || error.code !== 'ACTION_REFUSED') return undefined
  const decision = (error as { decision?: unknown }).decision
  return isRefusalDecision(decision) ? decision : undefined
}

/**
 * What a model or caller receives when an action did not run. `decision` is `ERROR`
 * when no decision could be made (the gate failed, timed out or was unreachable).
 */
export interface RefusalPayload {
  readonly writ: 'refused'
  readonly decision: 'DENY' | 'SILENCE' | 'ERROR'
  /** The decision's reason code, the `WritError` code, or `GATE_ERROR` for an unknown error. */
  readonly reason: string
  readonly rule: string | null
  /** The receipt's `jti`, or `null` when no receipt was issued. */
  readonly receipt_id: string | null
  /** The signed receipt (compact JWS), or `null` when none was issued. */
  readonly receipt: string | null
  /** One readable English sentence, meant for a model. */
  readonly message: string
  /** Set when the action is held for approval: ask again with the same call once approved. */
  readonly hold?: {
    readonly id: string
    readonly group: string
    readonly quorum: number
    readonly exp: number
  }
}

/** The sentence a held action answers with, the same in every adapter. */
export function heldMessage(hold: NonNullable<RefusalDecision['hold']>, waited = false): string {
  const until = new Date(hold.exp * 1000).toISOString()
  const count = hold.quorum === 1 ? 'one approval' : `${hold.quorum} approvals`
  return `${waited ? 'Still held' : 'Held'} for approval by ${hold.group}, id ${hold.id}; ask again after approval (${count} needed, open until ${until}). The action did not run.`
}

function decisionPayload(decision: RefusalDecision): RefusalPayload {
  if (decision.hold !== undefined && decision.decision === 'SILENCE') {
    const { id, group, quorum, exp } = decision.hold
    return {
      writ: 'refused',
      decision: decision.decision,
      reason: decision.reason,
      rule: decision.rule,
      receipt_id: decision.claims.jti,
      receipt: decision.receipt,
      message: heldMessage(decision.hold),
      hold: { id, group, quorum, exp },
    }
  }
  const rule = decision.rule === null ? '' : ` by rule ${decision.rule}`
  const advice =
    decision.decision === 'SILENCE'
      ? 'No policy rule permits it, so it did not run.'
      : 'The policy denies it, so it did not run.'
  return {
    writ: 'refused',
    decision: decision.decision,
    reason: decision.reason,
    rule: decision.rule,
    receipt_id: decision.claims.jti,
    receipt: decision.receipt,
    message: `Writ refused this action: ${decision.decision} (${decision.reason})${rule}. ${advice} Receipt ${decision.claims.jti}. Do not retry the same call.`,
  }
}

/**
 * The refusal payload for an error or a refusal decision: the same JSON in every
 * adapter. Errors that are not refusals become `decision: 'ERROR'` with the error's
 * code (or `GATE_ERROR`); their messages are not copied, so nothing internal leaks
 * to a model.
 */
export function refusalPayload(errorOrDecision: unknown): RefusalPayload {
  if (isRefusalDecision(errorOrDecision)) return decisionPayload(errorOrDecision)
  const refusal = refusalOf(errorOrDecision)
  if (refusal !== undefined) return decisionPayload(refusal)
  const code = WritError.isInstance(errorOrDecision) ? errorOrDecision.code : 'GATE_ERROR'
  return {
    writ: 'refused',
    decision: 'ERROR',
    reason: code,
    rule: null,
    receipt_id: null,
    receipt: null,
    message: `Writ could not authorize this action (${code}), so it did not run.`,
  }
}
