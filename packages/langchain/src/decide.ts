import {
  type ActionRequest,
  type Gate,
  guardAction,
  type PermitDecision,
  type RefusalPayload,
  refusalPayload,
} from '@writ/core'

/** What happened to one gated call. */
export type GatedOutcome<T> =
  | { readonly executed: true; readonly value: T }
  | { readonly executed: false; readonly payload: RefusalPayload; readonly error: unknown }

/**
 * Decides `request` and runs `execute` only on PERMIT, with the frozen arguments the
 * receipt binds. Every failure before `execute` starts (a refusal, an invalid input, a
 * gate that throws or times out) becomes a refusal payload and never an execution. An
 * error thrown by `execute` itself is the tool's own failure and is rethrown unchanged,
 * so LangChain's tool error handling still applies to it.
 *
 * @param gate the gate that decides
 * @param request builds the proposed action; if building it throws (a user's
 *   `actionName` function, odd input), that too is a refusal
 * @param execute the tool body, called at most once
 */
export async function decide<T>(
  gate: Gate,
  request: () => ActionRequest,
  execute: (args: PermitDecision['args'], decision: PermitDecision) => Promise<T>,
): Promise<GatedOutcome<T>> {
  let started = false
  try {
    const value = await guardAction(gate, request(), (args, decision) => {
      started = true
      return execute(args, decision)
    })
    return { executed: true, value }
  } catch (error) {
    if (started) throw error
    return { executed: false, payload: refusalPayload(error), error }
  }
}
