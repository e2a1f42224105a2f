import { type Gate, maxToolCallsOf, tooManyToolCallsError } from '@writ/core'
import type {
  ChatCompletionMessage,
  ChatCompletionToolMessageParam,
} from 'openai/resources/chat/completions'
import { checkOf } from './define-tool.js'
import type { ToolCallOptions } from './options.js'
import { refusalText } from './refusal-text.js'
import { runToolCall, toolOutputText } from './run-tool-call.js'
import { findHandler, handlerTable, type ToolHandlers, unknownToolError } from './tool-handlers.js'

/**
 * Runs the tool calls of one Chat Completions assistant message through the gate, for
 * a hand-written tool loop, and returns one `role: 'tool'` message per tool call, in
 * order, ready to append to the conversation.
 *
 * Calls are decided and run one after another (stateful limits see them in order).
 * A handler runs only on PERMIT, with the deep-frozen arguments the receipt binds. Every
 * other outcome still answers its `tool_call_id`, with the refusal JSON of `@writ/core`:
 * a DENY or SILENCE, invalid arguments, a failing gate, a non-function (custom) tool
 * call, and a tool name with no handler. Names are looked up exactly, by own property:
 * `payments_transfer ` or a lookalike letter never reach `payments_transfer`. An error
 * thrown by a handler itself is rethrown.
 *
 * A message with more than `options.maxToolCalls` calls (default 64) runs none of them:
 * each is answered with a `TOO_MANY_TOOL_CALLS` refusal, and the gate is not asked.
 *
 * @example
 * ```ts
 * const message = completion.choices[0]!.message
 * messages.push(message, ...(await handleChatToolCalls(gate, message, { payments_transfer: transfer })))
 * ```
 */
export async function handleChatToolCalls(
  gate: Gate,
  message: Pick<ChatCompletionMessage, 'tool_calls'>,
  handlers: ToolHandlers,
  options: ToolCallOptions = {},
): Promise<ChatCompletionToolMessageParam[]> {
  const table = handlerTable(handlers)
  const calls = message.tool_calls ?? []
  const max = maxToolCallsOf(options)
  if (calls.length > max) {
    // All or nothing: running the first `max` would let the model pick which calls count.
    const content = refusalText(tooManyToolCallsError(calls.length, max))
    return calls.map((call) => ({ role: 'tool', tool_call_id: call.id, content }))
  }
  const results: ChatCompletionToolMessageParam[] = []
  for (const call of calls) {
    let content: string
    if (call.type !== 'function') {
      // Custom tools take free text, not JSON arguments: refused, yet still answered.
      const name = (call as { custom?: { name?: unknown } }).custom?.name
      content = refusalText(
        unknownToolError(typeof name === 'string' ? name : `(${String(call.type)})`),
      )
    } else {
      const handler = findHandler(table, call.function.name)
      if (handler === undefined) {
        content = refusalText(unknownToolError(call.function.name))
      } else {
        const outcome = await runToolCall(
          gate,
          {
            toolName: call.function.name,
            argsText: call.function.arguments,
            callId: call.id,
            ...checkOf(handler, call.function.name),
            execute: handler,
          },
          options,
        )
        content = outcome.refused ? outcome.output : toolOutputText(outcome.output)
      }
    }
    results.push({ role: 'tool', tool_call_id: call.id, content })
  }
  return results
}
