/**
 * Test support: a model provider written against the Agents SDK's `Model` and
 * `ModelProvider` interfaces that answers from a script, step by step (tool calls as raw
 * JSON text, the way the Responses API reports them, or a final text), with no network;
 * and a transfer tool that records its runs.
 */
import {
  type AgentOutputItem,
  type Model,
  type ModelProvider,
  type ModelRequest,
  type ModelResponse,
  type StreamEvent,
  tool,
  Usage,
} from '@openai/agents'
import { z } from 'zod'

/** One proposed call: id, tool name and the raw JSON text of its arguments. */
export interface ProposedCall {
  readonly id: string
  readonly name: string
  readonly argsText: string
}

/** One model response: function calls to make, or a final text. */
export type Turn = readonly ProposedCall[] | string

function outputOf(turn: Turn): AgentOutputItem[] {
  if (typeof turn === 'string') {
    return [
      {
        type: 'message',
        role: 'assistant',
        status: 'completed',
        content: [{ type: 'output_text', text: turn }],
      },
    ]
  }
  return turn.map((call) => ({
    type: 'function_call',
    callId: call.id,
    name: call.name,
    arguments: call.argsText,
    status: 'completed',
  }))
}

/** A scripted model: its n-th response is `turns[n]` (then the last turn again). It keeps every request. */
export class ScriptedModel implements Model {
  readonly requests: ModelRequest[] = []
  readonly #turns: readonly Turn[]

  constructor(turns: readonly Turn[]) {
    this.#turns = turns
  }

  async getResponse(request: ModelRequest): Promise<ModelResponse> {
    this.requests.push(request)
    const index = Math.min(this.requests.length - 1, this.#turns.length - 1)
    return {
      usage: new Usage({ requests: 1, inputTokens: 1, outputTokens: 1, totalTokens: 2 }),
      output: outputOf(this.#turns[index]!),
      responseId: `resp_${this.requests.length}`,
    }
  }

  async *getStreamedResponse(request: ModelRequest): AsyncIterable<StreamEvent> {
    const response = await this.getResponse(request)
    yield {
      type: 'response_done',
      response: {
        id: response.responseId!,
        usage: { requests: 1, inputTokens: 1, outputTokens: 1, totalTokens: 2 },
        output: response.output,
      },
    } as StreamEvent
  }
}

/** A model provider that hands out one scripted model, whatever model name an agent asks for. */
export class ScriptedModelProvider implements ModelProvider {
  constructor(readonly model: ScriptedModel) {}

  getModel(): Model {
    return this.model
  }
}

/** A transfer tool that records a copy of the arguments of each run. */
export function recordingTransfer(name = 'payments_transfer') {
  const calls: unknown[] = []
  const transfer = tool({
    name,
    description: 'Transfer money to a payee.',
    parameters: z.object({
      to: z.string(),
      amount: z.number(),
      memo: z.string().nullable().optional(),
    }),
    execute: async (input) => {
      calls.push(structuredClone(input))
      return `sent ${input.amount} to ${input.to}`
    },
  })
  return { calls, transfer }
}

/** The output text of every function call result of a run, by call id. */
export function outputsById(items: readonly unknown[]): Map<string, string> {
  const outputs = new Map<string, string>()
  for (const item of items as {
    type?: string
    rawItem?: { callId?: string; output?: unknown }
  }[]) {
    if (item.type !== 'tool_call_output_item' || item.rawItem?.callId === undefined) continue
    const output = item.rawItem.output as string | { type?: string; text?: string }
    outputs.set(item.rawItem.callId, typeof output === 'string' ? output : (output.text ?? ''))
  }
  return outputs
}
