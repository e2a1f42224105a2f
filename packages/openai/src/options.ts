import type { ActionRequest, ApprovalMode, RefusalPayload } from '@writ/core'
import { type ActionNameMapping, resolveActionName } from '@writ/core'

/**
 * The options every entry point of `@writ/openai` shares ({@link gateRunnableTools},
 * {@link handleChatToolCalls}, {@link handleResponseFunctionCalls}): how each tool call
 * becomes a Writ request.
 */
export interface ToolCallOptions {
  /**
   * Maps the tool name the model used to the Writ action name: a function, or a table of
   * tool name to action name (own properties only). Names the function leaves
   * `undefined` or the table lacks are used as they are. OpenAI tool names may not
   * contain dots, so a tool `payments_transfer` is typically mapped to the action
   * `payments.transfer`.
   */
  readonly actionName?: ActionNameMapping
  /** The agent (principal) named in every receipt; embedded gates fall back to their default agent. */
  readonly agent?: string
  /** Extra facts for policy conditions (tenant, environment). JSON only. */
  readonly context?: NonNullable<ActionRequest['context']>
  /** The executor or service the permits are meant for (`aud`). */
  readonly audience?: string
  /**
   * Most tool calls one model message may carry (default 64). A message with more runs
   * none of its calls: each is answered with a `TOO_MANY_TOOL_CALLS` refusal, without
   * asking the gate. A positive integer.
   */
  readonly maxToolCalls?: number
  /**
   * Put the signed receipt (about 1 KB) in the refusal the model reads (default `true`).
   * With `false` the model reads the receipt's id only; the application gets the
   * receipt from the gate's store or its own records.
   */
  readonly includeReceipt?: boolean
  /**
   * What a tool call held for approval does: `{ mode: 'return' }` (default) answers the
   * model that the call is held for approval by GROUP, with the hold's id, so it can ask
   * again later; `{ mode: 'wait', timeoutMs }` waits for the approvers, then runs or
   * answers with the refusal.
   */
  readonly approval?: ApprovalMode
  /**
   * Told of every call left held for approval (after any wait), with its tool call id:
   * what an application loop keeps to resume once the hold is approved (call the model
   * again, or repeat the call).
   */
  readonly onHold?: (held: HeldToolCall) => void
}

/** A tool call held for approval, as {@link ToolCallOptions.onHold} reports it. */
export interface HeldToolCall {
  readonly toolName: string
  readonly callId: string | undefined
  readonly hold: NonNullable<RefusalPayload['hold']>
}

/**
 * Builds the Writ request for one tool call. The arguments stay the raw JSON text the
 * model produced, so the gate can refuse duplicate keys and other non-I-JSON input.
 * `callId` (the model's tool call id, when known) becomes the request id.
 */
export function toActionRequest(
  toolName: string,
  argsText: string,
  options: ToolCallOptions,
  callId?: string,
): ActionRequest {
  const action = resolveActionName(options.actionName, toolName)
  // The model's tool call id becomes the receipt's `req`, to cross-reference audit logs;
  // one the gate would refuse (empty, over 256 characters) is left out instead.
  const usableCallId = typeof callId === 'string' && callId.length > 0 && callId.length <= 256
  return {
    action,
    args: argsText,
    ...(usableCallId ? { request: callId } : {}),
    ...(options.agent === undefined ? {} : { agent: options.agent }),
    ...(options.context === undefined ? {} : { context: options.context }),
    ...(options.audience === undefined ? {} : { audience: options.audience }),
  }
}
