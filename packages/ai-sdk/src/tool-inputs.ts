import type { LanguageModelMiddleware, ToolSet } from 'ai'

/** What a model response said about one tool call: its raw input text and how many calls the response carried. */
export interface ToolInput {
  readonly toolName: string
  readonly text: string
  readonly callsInResponse: number
}

const MAX_ENTRIES = 4096

/**
 * The raw tool call inputs of recent model responses, by tool call id. The AI SDK hands a
 * tool's `execute` an already parsed input, and `JSON.parse` keeps the last of two
 * duplicate keys; Writ refuses duplicate keys, but can only see them in the text.
 * @internal
 */
export class ToolInputLog {
  readonly #entries = new Map<string, ToolInput>()

  /** Records the tool calls of one model response. */
  recordResponse(parts: readonly unknown[]): void {
    const calls = parts.filter(isToolCallPart)
    for (const call of calls) {
      this.#entries.delete(call.toolCallId)
      this.#entries.set(call.toolCallId, {
        toolName: call.toolName,
        text: call.input,
        callsInResponse: calls.length,
      })
      if (this.#entries.size > MAX_ENTRIES) {
        this.#entries.delete(this.#entries.keys().next().value as string)
      }
    }
  }

  /** The recorded input of one call, when its tool name matches. */
  get(toolCallId: string, toolName: string): ToolInput | undefined {
    const entry = this.#entries.get(toolCallId)
    return entry?.toolName === toolName ? entry : undefined
  }
}

const logs = new WeakMap<object, ToolInputLog>()

/** @internal */
export function attachToolInputLog(tools: object, log: ToolInputLog): void {
  logs.set(tools, log)
}

interface ToolCallPart {
  readonly type: 'tool-call'
  readonly toolCallId: string
  readonly toolName: string
  readonly input: string
}

function isToolCallPart(part: unknown): part is ToolCallPart {
  const call = (part ?? {}) as Partial<ToolCallPart> & { providerExecuted?: unknown }
  const { type, toolCallId, toolName, input, providerExecuted } = call
  const strings = [toolCallId, toolName, input].every((value) => typeof value === 'string')
  return type === 'tool-call' && providerExecuted !== true && strings
}

/**
 * A language model middleware (for `wrapLanguageModel`) that shows the tools of
 * {@link gateTools} what the model really wrote: the raw JSON text of each tool call's
 * input (so duplicate keys are refused, `INPUT_INVALID`) and how many tool calls one
 * response carries (so `maxToolCalls` holds). When streaming, the response's tool calls
 * are passed on together when the response finishes, so none starts before the count is
 * known.
 *
 * @param tools the tool set returned by {@link gateTools}
 * @returns a middleware for `wrapLanguageModel({ model, middleware })`
 *
 * @example
 * ```ts
 * const tools = gateTools(gate, { transfer })
 * const model = wrapLanguageModel({ model: openai('gpt-5'), middleware: writMiddleware(tools) })
 * await generateText({ model, tools, prompt })
 * ```
 */
export function writMiddleware(tools: ToolSet): LanguageModelMiddleware {
  const log = logs.get(tools)
  if (log === undefined) {
    throw new TypeError('writMiddleware takes the tool set returned by gateTools.')
  }
  return {
    specificationVersion: 'v3',
    async wrapGenerate({ doGenerate }) {
      const result = await doGenerate()
      log.recordResponse(result.content)
      return result
    },
    async wrapStream({ doStream }) {
      const result = await doStream()
      return { ...result, stream: result.stream.pipeThrough(holdToolCalls(log)) }
    },
  }
}

/** Holds back a streamed response's tool calls until it finishes, then records and passes them on. */
function holdToolCalls<T>(log: ToolInputLog): TransformStream<T, T> {
  let held: T[] = []
  const release = (controller: TransformStreamDefaultController<T>) => {
    log.recordResponse(held)
    for (const part of held) controller.enqueue(part)
    held = []
  }
  return new TransformStream<T, T>({
    transform(part, controller) {
      if (isToolCallPart(part)) {
        held.push(part)
        return
      }
      if ((part as { type?: unknown }).type === 'finish') release(controller)
      controller.enqueue(part)
    },
    flush: release,
  })
}
