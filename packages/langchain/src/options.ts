import type { ActionNameMapping, ActionRequest, ApprovalMode, RefusalPayload } from '@writ/core'

/** What a held tool call hands to LangGraph's `interrupt()`: the hold, and what to tell a person. */
export interface HeldInterrupt {
  readonly writ: 'held'
  /** The tool call that waits. */
  readonly toolCall: { readonly id: string | undefined; readonly name: string }
  /** The hold: approve this id; resume the graph once approved. */
  readonly hold: NonNullable<RefusalPayload['hold']>
  readonly message: string
}

/**
 * What a tool call held for approval does: `{ mode: 'return' }` (default) answers the
 * model with a refusal naming the hold ("ask again after approval"); `{ mode: 'wait',
 * timeoutMs }` waits for the approvers, then runs or answers; `{ mode: 'interrupt',
 * interrupt }` calls LangGraph's `interrupt` (pass it: `import { interrupt } from
 * '@langchain/langgraph'`), so the graph pauses on its checkpointer and resumes with
 * `Command({ resume })` once approved: the tool call is then decided again, and runs only
 * on the PERMIT the approvals unlock.
 */
export type ToolApprovalMode =
  | ApprovalMode
  | { readonly mode: 'interrupt'; readonly interrupt: (value: HeldInterrupt) => unknown }

/**
 * The options every entry point of `@writ/langchain` shares ({@link writMiddleware},
 * {@link gateTool}, {@link gateTools}): how each tool call becomes a Writ request.
 */
export interface ToolCallOptions {
  /**
   * Maps tool names to action names: a function, or a table of tool name to action name
   * (own properties only). By default the action name is the tool name.
   */
  readonly actionName?: ActionNameMapping
  /** The agent (principal) the decisions are made for; embedded gates fall back to their default agent. */
  readonly agent?: string
  /** Extra facts for policy conditions (tenant, environment). JSON only. */
  readonly context?: ActionRequest['context']
  /** The executor or service the permits are meant for (`aud`). */
  readonly audience?: string
  /**
   * Most tool calls one model message may carry (default 64). A message with more runs
   * none of its calls: each is answered with a `TOO_MANY_TOOL_CALLS` refusal, without
   * asking the gate. A positive integer. The count is read from the agent state's
   * messages; a call made outside an agent counts as one.
   */
  readonly maxToolCalls?: number
  /**
   * Put the signed receipt (about 1 KB) in the refusal the model reads (default `true`).
   * With `false` the model reads the receipt's id only; the full refusal, receipt
   * included, stays in the `ToolMessage`'s `artifact`, in the agent state.
   */
  readonly includeReceipt?: boolean
  /** What a call held for approval does; see {@link ToolApprovalMode}. Default `{ mode: 'return' }`. */
  readonly approval?: ToolApprovalMode
}

/**
 * Builds the {@link ActionRequest} for one tool call.
 *
 * @param options the adapter options
 * @param action the resolved action name
 * @param args the arguments: raw JSON text when the model's text is known, else the object
 * @param requestId the tool call id, used as the receipt's correlation id (`req`)
 */
export function actionRequestOf(
  options: ToolCallOptions,
  action: string,
  args: unknown,
  requestId: string | undefined,
): ActionRequest {
  return {
    action,
    args,
    ...(options.agent === undefined ? {} : { agent: options.agent }),
    ...(options.context === undefined ? {} : { context: options.context }),
    ...(options.audience === undefined ? {} : { audience: options.audience }),
    ...(requestId === undefined || requestId === '' ? {} : { request: requestId }),
  }
}
