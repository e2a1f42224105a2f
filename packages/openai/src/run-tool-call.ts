import { type Gate, guardOutcome, type PermitDecision } from '@writ/core'
import { type ToolCallOptions, toActionRequest } from './options.js'
import { refusalText } from './refusal-text.js'

/** The arguments a PERMIT binds: a deep-frozen JSON object. */
export type PermittedArgs = PermitDecision['args']

/** One tool call as the model proposed it, and what running it means. */
export interface ToolCall {
  /** The tool name exactly as the model wrote it. */
  readonly toolName: string
  /** The raw JSON argument text exactly as the model wrote it. */
  readonly argsText: string
  /** The model's id for this call (`tool_call_id`, `call_id`), used as the receipt's `req`. */
  readonly callId?: string
  /**
   * Runs after a PERMIT and before the tool; throwing refuses execution. Used to check
   * that a tool's own parser accepts the permitted arguments unchanged.
   */
  readonly check?: (args: PermittedArgs, decision: PermitDecision) => void | Promise<void>
  /** The tool body; called only on PERMIT, once, with the arguments the receipt binds. */
  readonly execute: (args: PermittedArgs, decision: PermitDecision) => unknown
}

/** What became of a tool call: the tool's result, or the refusal JSON the model reads. */
export type ToolCallOutcome =
  | { readonly refused: false; readonly output: unknown }
  | { readonly refused: true; readonly output: string }

/**
 * Decides one tool call through `guardOutcome` (`@writ/core`) and runs the tool only
 * on PERMIT.
 *
 * Every failure before the tool starts (a DENY or SILENCE, invalid arguments, a gate
 * that throws or times out, a failed check) resolves to a refusal; it never rejects and
 * never runs the tool. An error thrown by the tool itself, after it started, is the
 * tool's own and is rethrown unchanged.
 */
export async function runToolCall(
  gate: Gate,
  call: ToolCall,
  options: ToolCallOptions,
): Promise<ToolCallOutcome> {
  const outcome = await guardOutcome(
    gate,
    () => toActionRequest(call.toolName, call.argsText, options, call.callId),
    call.execute,
    call.check,
    options.approval === undefined ? {} : { approval: options.approval },
  )
  const hold = outcome.executed ? undefined : outcome.refusal.hold
  if (hold !== undefined && options.onHold !== undefined) {
    try {
      options.onHold({ toolName: call.toolName, callId: call.callId, hold })
    } catch {
      // The application's listener never changes what the model is told.
    }
  }
  return outcome.executed
    ? { refused: false, output: outcome.value }
    : {
        refused: true,
        // The application keeps the receipt (the store, the decision); the model may read its id only.
        output: refusalText(
          options.includeReceipt === false
            ? { ...outcome.refusal, receipt: null }
            : outcome.refusal,
        ),
      }
}

/** Turns a tool result into the text the model reads, as the `openai` tool runner does. */
export function toolOutputText(output: unknown): string {
  if (typeof output === 'string') return output
  if (output === undefined) return 'undefined'
  return JSON.stringify(output) ?? 'null'
}
