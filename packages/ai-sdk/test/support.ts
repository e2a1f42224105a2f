/**
 * Test support: scripted AI SDK mock models (the SDK's own `MockLanguageModelV3`) that
 * propose tool calls step by step, as raw JSON text the way providers report them, and a
 * transfer tool that records its runs. Gates come from the payments fixture of
 * `@writ/core/testing`; the holding gate from `test/support/holding-gate.ts`.
 */
import { tool } from 'ai'
import { convertArrayToReadableStream, MockLanguageModelV3 } from 'ai/test'
import { z } from 'zod'

/** One proposed call: id, tool name and the raw JSON text of its input. */
export interface ProposedCall {
  readonly id: string
  readonly name: string
  readonly argsText: string
}

/** One model response: tool calls to propose, or a final text. */
export type Turn = readonly ProposedCall[] | string

type StreamResult = Awaited<ReturnType<MockLanguageModelV3['doStream']>>

const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 1, text: 1, reasoning: undefined },
}

function finishOf(turn: Turn) {
  return { unified: typeof turn === 'string' ? 'stop' : 'tool-calls', raw: undefined } as const
}

function contentOf(turn: Turn) {
  if (typeof turn === 'string') return [{ type: 'text' as const, text: turn }]
  return turn.map((call) => ({
    type: 'tool-call' as const,
    toolCallId: call.id,
    toolName: call.name,
    input: call.argsText,
  }))
}

function streamPartsOf(turn: Turn) {
  const body =
    typeof turn === 'string'
      ? [
          { type: 'text-start' as const, id: 't' },
          { type: 'text-delta' as const, id: 't', delta: turn },
          { type: 'text-end' as const, id: 't' },
        ]
      : turn.flatMap((call) => [
          { type: 'tool-input-start' as const, id: call.id, toolName: call.name },
          { type: 'tool-input-delta' as const, id: call.id, delta: call.argsText },
          { type: 'tool-input-end' as const, id: call.id },
          ...contentOf([call]),
        ])
  return [
    { type: 'stream-start' as const, warnings: [] },
    ...body,
    { type: 'finish' as const, finishReason: finishOf(turn), usage },
  ]
}

/** A mock model that answers its n-th call with `turns[n]` (then the last turn again), for `generateText` and `streamText`. */
export function scriptedModel(turns: readonly Turn[]): MockLanguageModelV3 {
  let generated = 0
  let streamed = 0
  const turnAt = (index: number) => turns[Math.min(index, turns.length - 1)]!
  return new MockLanguageModelV3({
    doGenerate: async () => {
      const turn = turnAt(generated++)
      return { content: contentOf(turn), finishReason: finishOf(turn), usage, warnings: [] }
    },
    doStream: async () => ({
      stream: convertArrayToReadableStream(
        streamPartsOf(turnAt(streamed++)),
      ) as StreamResult['stream'],
    }),
  })
}

const transferSchema = z.object({ to: z.string(), amount: z.number(), memo: z.string().optional() })

/** A transfer tool that records a copy of the input of each run and answers with a confirmation. */
export function recordingTransfer() {
  const calls: unknown[] = []
  const transfer = tool({
    description: 'Transfer money to a payee.',
    inputSchema: transferSchema,
    execute: async (input) => {
      calls.push(structuredClone(input))
      return { sent: input.amount, to: input.to }
    },
  })
  return { calls, transfer }
}

/** The outputs of every tool result, by tool call id, over all steps of a result. */
export function outputsById(
  steps: readonly { content: readonly unknown[] }[],
): Map<string, unknown> {
  const outputs = new Map<string, unknown>()
  for (const step of steps) {
    for (const part of step.content as {
      type: string
      toolCallId?: string
      output?: unknown
      error?: unknown
    }[]) {
      if (part.type === 'tool-result') outputs.set(part.toolCallId!, part.output)
      if (part.type === 'tool-error') outputs.set(part.toolCallId!, { error: part.error })
    }
  }
  return outputs
}
