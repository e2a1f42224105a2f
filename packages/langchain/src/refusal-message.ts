import { ToolMessage } from '@langchain/core/messages'
import type { RefusalPayload } from '@writ/core'

/** The parts of a LangChain tool call a refusal answers. */
export interface ToolCallReference {
  readonly id?: string | undefined
  readonly name: string
}

/**
 * The `ToolMessage` a refused tool call gets: `status: 'error'`, the call's
 * `tool_call_id`, the refusal JSON as content (what the model reads: decision, reason,
 * receipt id) and the same payload, receipt included, as the message's `artifact`
 * (kept in the agent state, not sent to the model).
 *
 * @param payload the refusal, from `refusalPayload` of `@writ/core`
 * @param call the tool call being answered
 */
export function refusalMessage(payload: RefusalPayload, call: ToolCallReference): ToolMessage {
  return new ToolMessage({
    content: JSON.stringify(payload),
    tool_call_id: call.id ?? '',
    name: call.name,
    status: 'error',
    artifact: payload,
  })
}
