import type { ToolMessage } from '@langchain/core/messages'
import {
  type Gate,
  maxToolCallsOf,
  refusalPayload,
  resolveActionName,
  tooManyToolCallsError,
  WritError,
} from '@writ/core'
import type { AgentMiddleware, ToolCallHandler } from 'langchain'
import { decide } from './decide.js'
import { actionRequestOf, type ToolCallOptions } from './options.js'
import { rawArgumentsOf } from './raw-arguments.js'
import { refusalMessage } from './refusal-message.js'
import { isToolCall } from './tool-call.js'
import { toolCallsInMessageOf } from './tool-calls-in-message.js'

/** Options of {@link writMiddleware}. */
export interface WritMiddlewareOptions extends ToolCallOptions {
  /** The middleware's name in the agent (LangChain requires unique names). Default `WritMiddleware`. */
  readonly name?: string
}

// LangChain recognises middleware by this registered symbol (`createMiddleware` sets it);
// `Symbol.for` makes it the same symbol across copies, so no runtime import of `langchain`.
const middlewareBrand = Symbol.for('AgentMiddleware')

type ToolCallRequest = Parameters<ToolCallHandler>[0]
type Invokable = { invoke(input: unknown, config?: unknown): Promise<unknown> }

/**
 * An agent middleware for `createAgent` (LangChain 1.x) that puts a Writ decision in
 * front of every tool call, through `wrapToolCall`:
 *
 * - the action is the tool's name (mapped with `actionName`), the arguments are the
 *   model's raw JSON text when the provider kept it (so duplicate keys are caught), else
 *   the parsed `args`;
 * - on PERMIT the rest of the chain runs with the tool call's `args` replaced by the
 *   deep-frozen arguments the receipt binds, and the tool itself pinned to them: if a
 *   middleware placed after this one rewrites the arguments anyway, the tool still runs
 *   with the signed ones;
 * - a tool name the agent has no tool for is refused (`TOOL_UNKNOWN`) without asking
 *   the gate;
 * - a model message with more than `maxToolCalls` tool calls (default 64) runs none of
 *   them: each is refused (`TOO_MANY_TOOL_CALLS`) without asking the gate;
 * - on DENY, SILENCE, invalid input, or a gate that fails or times out, the tool never
 *   runs and the model gets a `ToolMessage` with `status: 'error'`, the refusal JSON as
 *   content and the receipt in `artifact`. A refusal never throws out of the agent.
 *
 * Put it LAST in the `middleware` array. LangChain composes `wrapToolCall` as an onion:
 * the first middleware is the outermost, the last one calls the tool. Middleware before
 * Writ (argument redaction, retries) shapes what gets decided and signed; nothing
 * after it should touch the call. A middleware placed after Writ that replaces the tool
 * object itself cannot be stopped from inside; keep Writ last.
 *
 * @param gate the gate that decides every tool call
 * @param options action name mapping, agent, context, audience, middleware name
 * @returns a middleware for `createAgent({ middleware: [..., writMiddleware(gate)] })`
 *
 * @example
 * ```ts
 * const agent = createAgent({ model, tools, middleware: [writMiddleware(gate, { agent: 'bot-7' })] })
 * ```
 */
export function writMiddleware(gate: Gate, options: WritMiddlewareOptions = {}): AgentMiddleware {
  const maxToolCalls = maxToolCallsOf(options)
  const wrapToolCall = async (
    request: ToolCallRequest,
    handler: ToolCallHandler,
  ): Promise<ToolMessage | unknown> => {
    const { toolCall } = request
    const reference = { id: toolCall.id, name: toolCall.name }
    const count = toolCallsInMessageOf(request.state?.messages, toolCall.id)
    if (count > maxToolCalls) {
      // All or nothing: running the first calls would let the model pick which ones count.
      const refusal = refusalPayload(tooManyToolCallsError(count, maxToolCalls))
      return refusalMessage(refusal, reference, options)
    }
    const tool = request.tool as (Partial<Invokable> & { name?: unknown }) | undefined
    if (tool === undefined) {
      // Nothing registered under this name: refused without asking the gate, and no
      // middleware after this one gets the chance to supply a tool of its own.
      const unknown = new WritError(
        'TOOL_UNKNOWN',
        'No tool of that name is available; nothing was run.',
        {
          details: { tool: toolCall.name },
        },
      )
      return refusalMessage(
        refusalPayload(unknown),
        { id: toolCall.id, name: toolCall.name },
        options,
      )
    }
    // Decide on the tool that will actually run when LangChain resolved one.
    const toolName = typeof tool.name === 'string' ? tool.name : toolCall.name
    const actionRequest = () => {
      const action = resolveActionName(options.actionName, toolName)
      const raw = rawArgumentsOf(request.state?.messages, toolCall.id, toolCall.args)
      return actionRequestOf(options, action, raw ?? toolCall.args, toolCall.id)
    }
    const outcome = await decide(
      gate,
      actionRequest,
      async (bound) =>
        handler({
          ...request,
          toolCall: Object.freeze({ ...toolCall, args: bound as Record<string, unknown> }),
          tool: pinned(request.tool, bound),
        } as ToolCallRequest),
      request.tool,
      heldOptions(options, toolCall),
    )
    if (outcome.executed) return outcome.value
    return refusalMessage(outcome.refusal, { id: toolCall.id, name: toolCall.name }, options)
  }
  return {
    [middlewareBrand]: true,
    name: options.name ?? 'WritMiddleware',
    wrapToolCall,
  } as unknown as AgentMiddleware
}

/** How a held call of `toolCall` is handled, and what it is called in an interrupt. */
function heldOptions(options: WritMiddlewareOptions, toolCall: { id?: string; name: string }) {
  return {
    ...(options.approval === undefined ? {} : { approval: options.approval }),
    toolCall: { id: toolCall.id, name: toolCall.name },
  }
}

/**
 * A view of `tool` that always runs with `bound`, whatever arguments reach it: it
 * inherits everything from the tool (name, schema, response format) and overrides
 * only `invoke`.
 */
function pinned<T>(tool: T, bound: unknown): T {
  if (typeof tool !== 'object' || tool === null) return tool
  const original = tool as unknown as Invokable
  if (typeof original.invoke !== 'function') return tool
  return Object.create(tool, {
    invoke: {
      value: (input: unknown, config?: unknown) =>
        original.invoke(isToolCall(input) ? { ...input, args: bound } : bound, config),
    },
  }) as T
}
