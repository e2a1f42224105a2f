import {
  assertArgsUnchanged,
  type Gate,
  maxToolCallsOf,
  tooManyToolCallsError,
  WritError,
} from '@writ/core'
import type { RunnableToolFunctionWithoutParse } from 'openai/lib/RunnableFunction'
import type { ToolCallOptions } from './options.js'
import { refusalText } from './refusal-text.js'
import { type PermittedArgs, runToolCall } from './run-tool-call.js'

type JsonSchema = RunnableToolFunctionWithoutParse['function']['parameters']

/**
 * A tool as written for `client.chat.completions.runTools`: `{ type: 'function',
 * function: { function, parse?, parameters, description, name?, strict? } }`.
 */
export interface RunnableToolInput {
  readonly type: 'function'
  readonly function: {
    readonly function: (args: never, runner: never, decision: never) => unknown
    readonly parse?: ((input: string) => unknown) | undefined
    readonly parameters: JsonSchema
    readonly description?: string | undefined
    readonly name?: string | undefined
    readonly strict?: boolean | undefined
  }
}

/** A tool built with `zodFunction` from `openai/helpers/zod` (with its `function`). */
export interface ParseableToolInput {
  readonly type: 'function'
  readonly function: {
    readonly name: string
    readonly parameters?: Readonly<Record<string, unknown>> | undefined
    readonly description?: string | undefined
    readonly strict?: boolean | null | undefined
  }
  readonly $brand: 'auto-parseable-tool'
  readonly $callback: ((args: never) => unknown) | undefined
  readonly $parseRaw: (args: string) => unknown
}

/** Any tool {@link gateRunnableTools} accepts. */
export type GateableTool = RunnableToolInput | ParseableToolInput

/** A gated tool: same name, description, schema and strictness; its body goes through the gate. */
export type GatedTool = RunnableToolFunctionWithoutParse

interface ToolParts {
  readonly name: string
  readonly description: string
  readonly parameters: JsonSchema
  readonly strict: boolean | undefined
  readonly body: (args: never, runner: never, decision: never) => unknown
  readonly parse: ((input: string) => unknown) | undefined
}

/**
 * Gates the tools you pass to `client.chat.completions.runTools`.
 *
 * Each returned tool has the original name, description, JSON schema and `strict`
 * flag, and takes the model's raw argument text (it has no `parse`, so the runner hands
 * over the text untouched and duplicate keys stay detectable). Per call it asks the
 * gate; only on PERMIT does the original function run, once, with the deep-frozen
 * arguments the receipt binds. A DENY, a SILENCE, invalid arguments or a failing gate
 * become the tool's output (the `refusalPayload` JSON of `@writ/core`) so the model
 * reads why; a refusal never throws out of the run.
 *
 * A tool with a parser (`parse`, or the zod schema of `zodFunction`) keeps it as a
 * validator: after the PERMIT the parser must accept the permitted arguments and return
 * them unchanged, or nothing runs (`ARGS_MISMATCH`). Writ executes what it signed, so a
 * parser that strips, defaults or transforms values is refused rather than trusted.
 * The function then receives the frozen arguments (a tool without a parser receives
 * them serialized as JSON text), the runner, and, as a third argument, the
 * `PermitDecision` with its receipt (to forward to a receiving service).
 *
 * An assistant message with more than `options.maxToolCalls` tool calls (default 64)
 * runs none of them: the runner gets a `TOO_MANY_TOOL_CALLS` refusal for each, and the
 * gate is not asked. The count is read from the runner's messages; a gated tool called
 * outside a runner counts as one call.
 *
 * @example
 * ```ts
 * const runner = client.chat.completions.runTools({
 *   model: 'gpt-4.1-mini',
 *   messages,
 *   tools: gateRunnableTools(gate, [transferTool], { actionName: (name) => name.replace('_', '.') }),
 * })
 * ```
 */
export function gateRunnableTools(
  gate: Gate,
  tools: readonly GateableTool[],
  options: ToolCallOptions = {},
): GatedTool[] {
  const names = new Set<string>()
  const max = maxToolCallsOf(options)
  return tools.map((tool) => {
    const parts = toolParts(tool)
    if (names.has(parts.name))
      throw new TypeError(`Two tools are named ${JSON.stringify(parts.name)}`)
    names.add(parts.name)
    return gateTool(gate, parts, options, max)
  })
}

function gateTool(
  gate: Gate,
  parts: ToolParts,
  options: ToolCallOptions,
  maxToolCalls: number,
): GatedTool {
  const { parse, body } = parts
  return {
    type: 'function',
    function: {
      name: parts.name,
      description: parts.description,
      parameters: parts.parameters,
      ...(parts.strict === undefined ? {} : { strict: parts.strict }),
      function: async (argsText: string, runner: unknown) => {
        const count = toolCallsInLatestMessage(runner)
        if (count > maxToolCalls) return refusalText(tooManyToolCallsError(count, maxToolCalls))
        const outcome = await runToolCall(
          gate,
          {
            toolName: parts.name,
            argsText: typeof argsText === 'string' ? argsText : String(argsText),
            ...(parse === undefined
              ? {}
              : { check: (args: PermittedArgs) => checkParser(parts.name, parse, args) }),
            // A tool without a parser expects text: it gets the permitted arguments, serialized.
            execute: (args, decision) =>
              body(
                (parse === undefined ? JSON.stringify(args) : args) as never,
                runner as never,
                decision as never,
              ),
          },
          options,
        )
        return outcome.output
      },
    },
  }
}

/**
 * How many tool calls the assistant message being run carries: the runner executes the
 * calls of its latest assistant message, and appends only `tool` messages meanwhile.
 */
function toolCallsInLatestMessage(runner: unknown): number {
  const messages = (runner as { messages?: unknown } | null | undefined)?.messages
  if (!Array.isArray(messages)) return 1
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index] as { role?: unknown; tool_calls?: unknown } | undefined
    if (message?.role !== 'assistant') continue
    return Array.isArray(message.tool_calls) ? message.tool_calls.length : 1
  }
  return 1
}

async function checkParser(
  toolName: string,
  parse: (input: string) => unknown,
  args: PermittedArgs,
): Promise<void> {
  let parsed: unknown
  try {
    parsed = await parse(JSON.stringify(args))
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause)
    throw new WritError(
      'ARGS_MISMATCH',
      `The tool ${JSON.stringify(toolName)} rejected its arguments: ${reason}`,
      {
        cause,
        details: { tool: toolName },
      },
    )
  }
  assertArgsUnchanged(parsed, args, toolName)
}

function isParseable(tool: GateableTool): tool is ParseableToolInput {
  return (tool as { $brand?: unknown }).$brand === 'auto-parseable-tool'
}

function toolParts(tool: GateableTool): ToolParts {
  if (tool === null || typeof tool !== 'object' || tool.type !== 'function') {
    throw new TypeError('Only function tools can be gated')
  }
  if (isParseable(tool)) {
    if (typeof tool.$callback !== 'function') {
      throw new TypeError(`The tool ${JSON.stringify(tool.function.name)} has no function to run`)
    }
    return {
      name: tool.function.name,
      description: tool.function.description ?? '',
      parameters: (tool.function.parameters ?? {}) as JsonSchema,
      strict: tool.function.strict ?? undefined,
      body: tool.$callback,
      parse: tool.$parseRaw,
    }
  }
  const definition = tool.function
  if (typeof definition.function !== 'function')
    throw new TypeError('A runnable tool needs a function')
  // The runner names a tool by `name`, falling back to the function's own name.
  const name = definition.name || definition.function.name
  if (!name) throw new TypeError('A runnable tool needs a name')
  return {
    name,
    description: definition.description ?? '',
    parameters: definition.parameters,
    strict: definition.strict,
    body: definition.function,
    parse: typeof definition.parse === 'function' ? definition.parse : undefined,
  }
}
