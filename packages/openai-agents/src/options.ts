import type { ActionNameMapping, ActionRequest } from '@writ/core'

/**
 * The options every entry point of `@writ/openai-agents` shares: how each tool call
 * becomes a Writ request.
 */
export interface ToolCallOptions {
  /**
   * Maps tool names to action names: a function, or a table of tool name to action name
   * (own properties only). By default the action name is the tool's name.
   */
  readonly actionName?: ActionNameMapping
  /** The agent (principal) the decisions are made for; embedded gates fall back to their default agent. */
  readonly agent?: string
  /** Extra facts for policy conditions (tenant, environment). JSON only. */
  readonly context?: ActionRequest['context']
  /** The executor or service the permits are meant for (`aud`). */
  readonly audience?: string
}

/**
 * Builds the {@link ActionRequest} for one tool call.
 *
 * @param options the adapter options
 * @param action the resolved action name
 * @param args the raw JSON text the model produced, or the parsed arguments
 * @param callId the tool call id, the receipt's correlation id (`req`) when usable
 */
export function actionRequestOf(
  options: ToolCallOptions,
  action: string,
  args: unknown,
  callId: string | undefined,
): ActionRequest {
  const usableId = typeof callId === 'string' && callId.length > 0 && callId.length <= 256
  return {
    action,
    args,
    ...(options.agent === undefined ? {} : { agent: options.agent }),
    ...(options.context === undefined ? {} : { context: options.context }),
    ...(options.audience === undefined ? {} : { audience: options.audience }),
    ...(usableId ? { request: callId } : {}),
  }
}
