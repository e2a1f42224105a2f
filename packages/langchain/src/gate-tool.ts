import type { ToolCall } from '@langchain/core/messages/tool'
import { type ClientTool, StructuredTool, type ToolRunnableConfig } from '@langchain/core/tools'
import {
  type Gate,
  maxToolCallsOf,
  type RefusalPayload,
  refusalPayload,
  resolveActionName,
  tooManyToolCallsError,
} from '@writ/core'
import { decide } from './decide.js'
import { actionRequestOf, type ToolCallOptions } from './options.js'
import { rawArgumentsOf } from './raw-arguments.js'
import { refusalMessage } from './refusal-message.js'
import { isToolCall } from './tool-call.js'
import { toolCallsInMessageOf } from './tool-calls-in-message.js'

/** Options of {@link gateTool} and {@link gateTools}. */
export interface GateToolOptions extends ToolCallOptions {
  /**
   * What a refusal looks like when the tool is invoked with plain arguments rather than
   * a `ToolCall`: `'answer'` (default) resolves with the refusal JSON as a string, which
   * is what LangChain feeds a model as tool output; `'throw'` rejects with the refusal
   * error (a `WritError`, code `ACTION_REFUSED`, or the gate's own error), for callers
   * that must not mistake a refusal for a result. Invoked with a `ToolCall`, a refused
   * tool always resolves with a `ToolMessage` of `status: 'error'`.
   */
  readonly onRefusal?: 'answer' | 'throw'
}

/** What this adapter reads of a LangChain tool (any `StructuredTool`, `DynamicTool` or `tool()` result). */
interface ToolShape {
  readonly name: string
  readonly description: string
  readonly schema: unknown
  readonly returnDirect?: boolean
  readonly responseFormat?: StructuredTool['responseFormat']
  readonly metadata?: StructuredTool['metadata']
  readonly extras?: Record<string, unknown>
  invoke(input: unknown, config?: ToolRunnableConfig): Promise<unknown>
}

/**
 * A LangChain tool gated by Writ. It keeps the wrapped tool's `name`, `description` and
 * `schema`, so models, `bindTools` and `ToolNode` treat it as the original; every
 * invocation is decided first and reaches the original only on PERMIT, with the frozen
 * arguments the receipt binds.
 *
 * Build it with {@link gateTool}.
 */
export class WritGatedTool extends StructuredTool {
  /** @inheritdoc */
  name: string
  /** @inheritdoc */
  description: string
  /** @inheritdoc */
  schema: StructuredTool['schema']
  /** The tool that runs on PERMIT. */
  readonly original: ClientTool
  readonly #gate: Gate
  readonly #options: GateToolOptions
  readonly #action: () => string
  readonly #invokeOriginal: ToolShape['invoke']
  readonly #maxToolCalls: number

  /**
   * @param gate the gate that decides every call
   * @param original the tool to run on PERMIT
   * @param options action name, agent, context, audience, refusal style
   */
  constructor(gate: Gate, original: ClientTool, options: GateToolOptions = {}) {
    const shape = original as unknown as ToolShape
    super({
      ...(shape.responseFormat === undefined ? {} : { responseFormat: shape.responseFormat }),
      ...(shape.metadata === undefined ? {} : { metadata: shape.metadata }),
    })
    this.name = shape.name
    this.description = shape.description
    this.schema = shape.schema as StructuredTool['schema']
    this.returnDirect = shape.returnDirect ?? false
    if (shape.extras !== undefined) this.extras = shape.extras
    this.original = original
    this.#invokeOriginal = (input, config) => shape.invoke(input, config)
    this.#gate = gate
    this.#options = options
    this.#maxToolCalls = maxToolCallsOf(options)
    this.#action = () => resolveActionName(options.actionName, shape.name)
  }

  /**
   * Decides, then runs the original on PERMIT with the receipt-bound arguments.
   * With a `ToolCall` a refusal resolves with a `ToolMessage` (`status: 'error'`); with
   * plain arguments it resolves with the refusal JSON string or rejects (`onRefusal`).
   * The arguments decided are the ones LangChain received, before the tool's schema
   * applies defaults or transforms (see the package README, "What gets signed").
   */
  // biome-ignore lint/suspicious/noExplicitAny: the signature is LangChain's generic one.
  override async invoke(input: any, config?: any): Promise<any> {
    return this.#invoke(input, config as ToolRunnableConfig | undefined)
  }

  /** @deprecated Use {@link WritGatedTool.invoke}; routed through the same gate. */
  // biome-ignore lint/suspicious/noExplicitAny: the signature is LangChain's generic one.
  override async call(arg: any, configArg?: any): Promise<any> {
    return this.#invoke(
      arg,
      typeof configArg === 'object' && !Array.isArray(configArg) ? configArg : undefined,
    )
  }

  /** Never reached: `invoke` and `call` are overridden so nothing runs ungated. */
  protected async _call(): Promise<never> {
    throw new Error('WritGatedTool runs only through invoke()')
  }

  async #invoke(input: unknown, config: ToolRunnableConfig | undefined): Promise<unknown> {
    const call = isToolCall(input) ? input : undefined
    const callId = call?.id ?? (config as { toolCall?: { id?: string } } | undefined)?.toolCall?.id
    const messages = (config as { state?: { messages?: unknown } } | undefined)?.state?.messages
    const count = toolCallsInMessageOf(messages, callId)
    if (count > this.#maxToolCalls) {
      // All or nothing: running the first calls would let the model pick which ones count.
      const error = tooManyToolCallsError(count, this.#maxToolCalls)
      return this.#refuse(refusalPayload(error), error, call)
    }
    const request = () => {
      const given = call === undefined ? input : call.args
      // String-input tools (`Tool`, `DynamicTool`) take `{ input }` as their object form.
      const args = typeof given === 'string' || given === undefined ? { input: given } : given
      const raw = rawArgumentsOf(messages, callId, args)
      return actionRequestOf(this.#options, this.#action(), raw ?? args, callId)
    }
    const outcome = await decide(
      this.#gate,
      request,
      async (bound) =>
        this.#invokeOriginal(call === undefined ? bound : { ...call, args: bound }, config),
      this.original,
      {
        ...(this.#options.approval === undefined ? {} : { approval: this.#options.approval }),
        toolCall: { id: callId, name: this.name },
      },
    )
    if (outcome.executed) return outcome.value
    return this.#refuse(outcome.refusal, outcome.error, call)
  }

  /** A refusal as this call gets it: a `ToolMessage` for a tool call, else per `onRefusal`. */
  #refuse(refusal: RefusalPayload, error: unknown, call: ToolCall | undefined): unknown {
    if (call !== undefined)
      return refusalMessage(refusal, { id: call.id, name: this.name }, this.#options)
    if (this.#options.onRefusal === 'throw') throw error
    return JSON.stringify(
      this.#options.includeReceipt === false ? { ...refusal, receipt: null } : refusal,
    )
  }
}

/**
 * Gates one LangChain tool. The result keeps the tool's `name`, `description` and
 * `schema`; use it wherever the original was used (`createAgent({ tools })`, a LangGraph
 * `ToolNode`, `bindTools`, or a direct `invoke`).
 *
 * @param gate the gate that decides every call
 * @param tool the tool to run on PERMIT
 * @param options action name mapping, agent, context, audience, refusal style
 * @returns a tool that decides first and runs `tool` only on PERMIT
 *
 * @example
 * ```ts
 * const transfer = gateTool(gate, tool(pay, { name: 'payments.transfer', description, schema }))
 * const result = await transfer.invoke({ type: 'tool_call', id: 'call_1', name: 'payments.transfer', args })
 * // a ToolMessage: the tool's output on PERMIT, status 'error' with the refusal JSON otherwise
 * ```
 */
export function gateTool(
  gate: Gate,
  tool: ClientTool,
  options: GateToolOptions = {},
): WritGatedTool {
  return new WritGatedTool(gate, tool, options)
}

/**
 * Gates every tool of a list with the same gate and options.
 *
 * @param gate the gate that decides every call
 * @param tools the tools to gate
 * @param options shared options; `actionName` maps each tool's name
 */
export function gateTools(
  gate: Gate,
  tools: readonly ClientTool[],
  options: GateToolOptions = {},
): WritGatedTool[] {
  return tools.map((tool) => gateTool(gate, tool, options))
}
