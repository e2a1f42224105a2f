/**
 * What a gate does after a decision is signed and stored, off the decision's path of
 * authority: keep the request's arguments when the store retains them, and let a shadow
 * candidate evaluate it. Neither can change the decision: their failures are counted.
 */
import type { NormalizedRequest } from '../decide/normalize-request.js'
import type { CompiledPolicy } from '../policy/index.js'
import type { Decision, Store } from '../types.js'
import { retainedCopy } from './retention.js'
import { type CandidateView, createShadowRunner, type ShadowRunner } from './shadow.js'

/**
 * What one decision saw, for the steps after it: the shadow runner it is compared with
 * (fixed when the decision starts, so a swap never mixes two candidates in one
 * comparison), the deciding rule's tags, and the session history the candidate is
 * judged on.
 */
export interface DecisionSight {
  readonly shadow: ShadowRunner | undefined
  tags: readonly string[]
  view: CandidateView | undefined
}

/** The after-decision steps of one gate. */
export interface DecisionObserver {
  /** The shadow runner now. */
  readonly shadow: ShadowRunner | undefined
  /**
   * Swaps the shadow candidate (`undefined` stops shadowing). The same candidate (same
   * digest) keeps its runner, with its simulated limits and counters.
   */
  setShadow(candidate: CompiledPolicy | undefined): void
  /** A fresh sight for a decision starting now. */
  sight(): DecisionSight
  /** Retention writes that failed (the receipt stands; its arguments are not kept). */
  retentionFailures(): number
  /**
   * Retains the arguments and shadows the decision; `undefined` when neither applies, so a
   * plain decision waits for nothing.
   */
  observe(
    request: NormalizedRequest,
    decision: Decision,
    sight?: DecisionSight,
  ): Promise<void> | undefined
}

const NO_TAGS: readonly string[] = Object.freeze([])

/** The observer for a gate on `store`, shadowing with `candidate` when given. */
export function createDecisionObserver(
  candidate: CompiledPolicy | undefined,
  store: Store,
): DecisionObserver {
  const records = store.records
  const runnerFor = (next: CompiledPolicy | undefined) =>
    next === undefined ? undefined : createShadowRunner(next, records)
  let shadow = runnerFor(candidate)
  let failures = 0
  const retain = async (
    request: NormalizedRequest,
    decision: Decision,
    tags: readonly string[],
  ): Promise<void> => {
    const redact = records?.retention?.plan(decision.claims.act.name)
    if (records === undefined || redact === undefined || request.args === undefined) return
    try {
      const values = { args: request.args.value, context: request.context }
      const copy = retainedCopy(decision.claims.jti, values, redact)
      await records.putRetained({ ...copy, session: request.session ?? null, tags: [...tags] })
    } catch {
      failures++
    }
  }
  return {
    get shadow() {
      return shadow
    },
    setShadow(next) {
      if (next?.digest === shadow?.candidate.digest && next?.id === shadow?.candidate.id) return
      shadow = runnerFor(next)
    },
    sight: () => ({ shadow, tags: NO_TAGS, view: undefined }),
    retentionFailures: () => failures,
    observe(request, decision, sight = { shadow, tags: NO_TAGS, view: undefined }) {
      if (records?.retention === undefined && sight.shadow === undefined) return undefined
      return Promise.all([
        retain(request, decision, sight.tags),
        sight.shadow?.observe(request, decision, sight.view),
      ]).then(() => undefined)
    },
  }
}
