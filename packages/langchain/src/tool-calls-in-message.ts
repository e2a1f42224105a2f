/**
 * How many tool calls the model message that proposed `toolCallId` carries, found in
 * the agent state's messages: its parsed `tool_calls`, or the provider's raw ones in
 * `additional_kwargs`, whichever is longer. `1` when the message is not known (a
 * direct `invoke` outside an agent).
 *
 * @param messages the agent state's messages, if known
 * @param toolCallId the id of the call being decided
 */
export function toolCallsInMessageOf(messages: unknown, toolCallId: string | undefined): number {
  if (toolCallId === undefined || toolCallId === '' || !Array.isArray(messages)) return 1
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const message = messages[index] as
      | { tool_calls?: unknown; additional_kwargs?: { tool_calls?: unknown } }
      | null
      | undefined
    if (typeof message !== 'object' || message === null) continue
    const parsed = Array.isArray(message.tool_calls) ? message.tool_calls : []
    const raw = Array.isArray(message.additional_kwargs?.tool_calls)
      ? message.additional_kwargs.tool_calls
      : []
    if ([...parsed, ...raw].some((call) => (call as { id?: unknown })?.id === toolCallId))
      return Math.max(parsed.length, raw.length)
  }
  return 1
}
