import type { ToolCall } from '@langchain/core/messages/tool'

/**
 * True when `input` is a LangChain `ToolCall` (`{ type: 'tool_call', name, args, id }`),
 * the shape `ToolNode` and agents invoke tools with, as opposed to plain arguments.
 *
 * @param input what a tool's `invoke` received
 */
export function isToolCall(input: unknown): input is ToolCall {
  return (
    typeof input === 'object' &&
    input !== null &&
    (input as { type?: unknown }).type === 'tool_call' &&
    typeof (input as { name?: unknown }).name === 'string'
  )
}
