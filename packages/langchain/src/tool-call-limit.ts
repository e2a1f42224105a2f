import { WritError } from '@writ/core'
import type { WritToolOptions } from './options.js'

/** How many tool calls one model message may carry before none of them runs. */
export const DEFAULT_MAX_TOOL_CALLS = 64

/**
 * The cap on tool calls per model message from `options.maxToolCalls`, checked.
 *
 * @throws TypeError when `maxToolCalls` is not a positive integer
 */
export function maxToolCallsOf(options: WritToolOptions): number {
  const max = options.maxToolCalls ?? DEFAULT_MAX_TOOL_CALLS
  if (!Number.isSafeInteger(max) || max < 1)
    throw new TypeError('maxToolCalls must be a positive integer')
  return max
}

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

/**
 * The error behind the refusal each call of an over-long message gets: the gate is not
 * asked, nothing runs, and no receipt is issued (a message of 20,000 calls must not
 * become 20,000 decisions).
 */
export function tooManyToolCallsError(count: number, max: number): WritError {
  return new WritError(
    'TOO_MANY_TOOL_CALLS',
    `The model asked for ${count} tool calls in one message; at most ${max} are accepted, so none of them was run.`,
    { details: { count, max } },
  )
}
