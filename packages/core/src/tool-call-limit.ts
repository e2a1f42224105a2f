import { WritError } from '@writ/verify'

/** How many tool calls one model message may carry before none of them runs. */
export const DEFAULT_MAX_TOOL_CALLS = 64

/**
 * The cap on tool calls per model message, from an adapter's `maxToolCalls` option,
 * checked. Every tool adapter (`@writ/openai`, `@writ/langchain`) reads it here.
 *
 * @param options the adapter's options; `maxToolCalls` defaults to {@link DEFAULT_MAX_TOOL_CALLS}
 * @throws TypeError when `maxToolCalls` is not a positive integer
 */
export function maxToolCallsOf(options: { readonly maxToolCalls?: number | undefined }): number {
  const max = options.maxToolCalls ?? DEFAULT_MAX_TOOL_CALLS
  if (!Number.isSafeInteger(max) || max < 1)
    throw new TypeError('maxToolCalls must be a positive integer')
  return max
}

/**
 * The error behind the refusal each call of an over-long message gets: the gate is not
 * asked, nothing runs, and no receipt is issued (a message of 20,000 calls must not
 * become 20,000 decisions).
 *
 * @param count how many tool calls the message carries
 * @param max the cap from {@link maxToolCallsOf}
 */
export function tooManyToolCallsError(count: number, max: number): WritError {
  return new WritError(
    'TOO_MANY_TOOL_CALLS',
    `The model asked for ${count} tool calls in one message; at most ${max} are accepted, so none of them was run.`,
    { details: { count, max } },
  )
}
