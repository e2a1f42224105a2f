/**
 * The demo's gate, as the agents' tools use it: every decision is also reported to
 * the page's timeline. It decides nothing itself.
 */
import { type ActionRequest, type Decision, type Gate, guardAction, wrapAction } from '@writ/core'

/**
 * A face of `gate` that calls `onDecision` with every decision it makes, PERMIT or not,
 * in order, and the request it decided.
 *
 * @example
 * ```ts
 * const recorded = recordDecisions(gate, (decision, request) => timeline.decided(...))
 * const gatedFetch = createGatedFetch(recorded, { actionName: 'payments.transfer' })
 * ```
 */
export function recordDecisions(
  gate: Gate,
  onDecision: (decision: Decision, request: ActionRequest) => void,
): Gate {
  const self: Gate = {
    async authorize(request) {
      const decision = await gate.authorize(request)
      onDecision(decision, request)
      return decision
    },
    guard: (request, execute) => guardAction(self, request, execute),
    wrap: (name, fn, options) => wrapAction(self, name, fn, options),
    keys: () => gate.keys(),
  }
  return self
}
