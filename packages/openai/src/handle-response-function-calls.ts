import { type Gate, maxToolCallsOf, tooManyToolCallsError } from '@writ/core'
import type { Response, ResponseInputItem } from 'openai/resources/responses/responses'
import { checkOf } from './define-tool.js'
import type { ToolCallOptions } from './options.js'
import { refusalText } from './refusal-text.js'
import { runToolCall, toolOutputText } from './run-tool-call.js'
import { findHandler, handlerTable, type ToolHandlers, unknownToolError } from './tool-handlers.js'

/**
 * Runs the `function_call` output items of a Responses API response through the gate
 * and returns one `function_call_output` input item per call, in order, to send back
 * (with `previous_response_id`, or after the calls in a stateless `input`).
 *
 * Same semantics as {@link handleChatToolCalls}: sequential, PERMIT-only execution
 * with the receipt-bound arguments, a refusal JSON for every other outcome (unknown
 * names included, looked up exactly; a namespaced call is named `namespace.name`),
 * handler errors rethrown. Output items that are
 * not function calls (messages, reasoning, built-in tools) are ignored. A response with
 * more than `options.maxToolCalls` function calls (default 64) runs none of them: each
 * is answered with a `TOO_MANY_TOOL_CALLS` refusal, and the gate is not asked.
 */
export async function handleResponseFunctionCalls(
  gate: Gate,
  response: Pick<Response, 'output'>,
  handlers: ToolHandlers,
  options: ToolCallOptions = {},
): Promise<ResponseInputItem.FunctionCallOutput[]> {
  const table = handlerTable(handlers)
  const calls = response.output.filter((item) => item.type === 'function_call')
  const max = maxToolCallsOf(options)
  if (calls.length > max) {
    // All or nothing: running the first `max` would let the model pick which calls count.
    const output = refusalText(tooManyToolCallsError(calls.length, max))
    return calls.map((item) => ({ type: 'function_call_output', call_id: item.call_id, output }))
  }
  const results: ResponseInputItem.FunctionCallOutput[] = []
  for (const item of calls) {
    // A namespaced function is a different tool from a plain one of the same name.
    const toolName = item.namespace ? `${item.namespace}.${item.name}` : item.name
    const handler = findHandler(table, toolName)
    let output: string
    if (handler === undefined) {
      output = refusalText(unknownToolError(toolName))
    } else {
      const outcome = await runToolCall(
        gate,
        {
          toolName,
          argsText: item.arguments,
          callId: item.call_id,
          ...checkOf(handler, toolName),
          execute: handler,
        },
        options,
      )
      output = outcome.refused ? outcome.output : toolOutputText(outcome.output)
    }
    results.push({ type: 'function_call_output', call_id: item.call_id, output })
  }
  return results
}
