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
 * With `includeReceipt: false` the content leaves the receipt out (its id stays); the
 * artifact keeps it.
 *
 * @param payload the refusal, from `refusalPayload` of `@writ/core`
 * @param call the tool call being answered
 * @param options whether the model reads the receipt itself (default `true`)
 */
export function refusalMessage(
  payload: RefusalPayload,
  call: ToolCallReference,
  options: { readonly includeReceipt?: boolean | undefined } = {},
): ToolMessage {
  const read = options.includeReceipt === false ? { ...payload, receipt: null } : payload
  return new ToolMessage({
    content: JSON.stringify(read),
    tool_call_id: call.id ?? '',
    name: call.name,
    status: 'error',
    artifact: payload,
  })
}
