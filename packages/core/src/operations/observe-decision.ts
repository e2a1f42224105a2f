/**
 * What a gate does after a decision is signed and stored, off the decision's path of
 * authority: keep the request's arguments when the store retains them, and let a shadow
 * candidate evaluate it. Neither can change the decision: their failures are counted.
 */
import type { NormalizedRequest } from '../decide/normalize-request.js'
import type { CompiledPolicy } from '../policy/index.js'
import type { Decision, Store } from '../types.js'
import { retainedCopy } from './retention.js'
import { createShadowRunner, type ShadowRunner } from './shadow.js'

/** The after-decision steps of one gate. */
export interface DecisionObserver {
  readonly shadow: ShadowRunner | undefined
  /** Retention writes that failed (the receipt stands; its arguments are not kept). */
  retentionFailures(): number
  observe(request: NormalizedRequest, decision: Decision): Promise<void>
}

/** The observer for a gate on `store`, shadowing with `candidate` when given. */
export function createDecisionObserver(
  candidate: CompiledPolicy | undefined,
  store: Store,
): DecisionObserver {
  const records = store.records
  const shadow = candidate === undefined ? undefined : createShadowRunner(candidate, records)
  let failures = 0
  const retain = async (request: NormalizedRequest, decision: Decision): Promise<void> => {
    const redact = records?.retention?.plan(decision.claims.act.name)
    if (records === undefined || redact === undefined || request.args === undefined) return
    try {
      const values = { args: request.args.value, context: request.context }
      await records.putRetained(retainedCopy(decision.claims.jti, values, redact))
    } catch {
      failures++
    }
  }
  return {
    shadow,
    retentionFailures: () => failures,
    async observe(request, decision) {
      await Promise.all([retain(request, decision), shadow?.observe(request, decision)])
    },
  }
}
