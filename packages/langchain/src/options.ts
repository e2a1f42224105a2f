import type { ActionRequest } from '@writ/core'

/**
 * How a LangChain tool name becomes a Writ action name: a function, or a table of
 * tool name to action name. Names missing from the table (or for which the function
 * returns `undefined`) are used as they are; a tool name that is not a valid action
 * name (`[A-Za-z0-9_.:-]`, 1 to 128 characters, so no spaces) is then refused by the
 * gate with a DENY receipt, reason `INPUT_INVALID`.
 */
export type ActionNameMapping =
  | Readonly<Record<string, string>>
  | ((toolName: string) => string | undefined)

/** Options shared by {@link writMiddleware}, {@link gateTool} and {@link gateTools}. */
export interface WritToolOptions {
  /** Maps tool names to action names. By default the action name is the tool name. */
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
}

/**
 * Resolves the Writ action name of a tool. Table lookups use own properties only, so a
 * tool named `constructor` or `__proto__` never picks up an inherited value.
 *
 * @param mapping the `actionName` option, if any
 * @param toolName the LangChain tool name
 * @returns the action name the gate decides on
 */
export function resolveActionName(
  mapping: ActionNameMapping | undefined,
  toolName: string,
): string {
  if (mapping === undefined) return toolName
  if (typeof mapping === 'function') return mapping(toolName) ?? toolName
  if (Object.hasOwn(mapping, toolName)) {
    const mapped = mapping[toolName]
    if (typeof mapped === 'string') return mapped
  }
  return toolName
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
  options: WritToolOptions,
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
