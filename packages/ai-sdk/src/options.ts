import type { ActionNameMapping, ActionRequest } from '@writ/core'

/**
 * The options every entry point of `@writ/ai-sdk` shares: how each tool call becomes a
 * Writ request.
 */
export interface ToolCallOptions {
  /**
   * Maps tool names (the keys of the tool set) to action names: a function, or a table
   * of tool name to action name (own properties only). By default the action name is
   * the tool name.
   */
  readonly actionName?: ActionNameMapping
  /** The agent (principal) the decisions are made for; embedded gates fall back to their default agent. */
  readonly agent?: string
  /** Extra facts for policy conditions (tenant, environment). JSON only. */
  readonly context?: ActionRequest['context']
  /** The executor or service the permits are meant for (`aud`). */
  readonly audience?: string
  /**
   * Most tool calls one model response may carry (default 64). A response with more
   * runs none of its calls: each is answered with a `TOO_MANY_TOOL_CALLS` refusal,
   * without asking the gate. Counted by {@link writMiddleware}; without it every call
   * counts as one.
   */
  readonly maxToolCalls?: number
}

/**
 * Builds the {@link ActionRequest} for one tool call.
 *
 * @param options the adapter options
 * @param action the resolved action name
 * @param args the raw JSON text the model produced when it is known, else the parsed input
 * @param toolCallId the tool call id, the receipt's correlation id (`req`) when usable
 */
export function actionRequestOf(
  options: ToolCallOptions,
  action: string,
  args: unknown,
  toolCallId: string | undefined,
): ActionRequest {
  const usableId =
    typeof toolCallId === 'string' && toolCallId.length > 0 && toolCallId.length <= 256
  return {
    action,
    args,
    ...(options.agent === undefined ? {} : { agent: options.agent }),
    ...(options.context === undefined ? {} : { context: options.context }),
    ...(options.audience === undefined ? {} : { audience: options.audience }),
    ...(usableId ? { request: toolCallId } : {}),
  }
}
