import type { ActionNameMapping, ActionRequest } from '@writ/core'

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
