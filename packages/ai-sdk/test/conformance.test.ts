import { generateText, stepCountIs, streamText, tool, wrapLanguageModel } from 'ai'
import { z } from 'zod'
import {
  describeAdapterConformance,
  type HarnessCall,
} from '../../../test/conformance/adapter-suite.js'
import { gateTools, type HeldToolCall, isRefusalOutput, writMiddleware } from '../src/index.js'
import { outputsById, scriptedModel } from './support.js'

const callId = 'call_conformance_1'

function toolsFor(call: HarnessCall, held: HeldToolCall[] = []) {
  const transfer = tool({
    description: 'Transfer money to a payee.',
    inputSchema: z.object({ to: z.string(), amount: z.number(), memo: z.string().optional() }),
    execute: async (input) => call.execute(input),
  })
  return gateTools(call.gate, { [call.action]: transfer }, { onHold: (entry) => held.push(entry) })
}

function modelFor(call: HarnessCall, tools: ReturnType<typeof toolsFor>) {
  return wrapLanguageModel({
    model: scriptedModel([[{ id: callId, name: call.action, argsText: call.argsText }], 'done']),
    middleware: writMiddleware(tools),
  })
}

function outcomeOf(
  steps: readonly { content: readonly unknown[] }[],
  held: readonly HeldToolCall[] = [],
) {
  const output = outputsById(steps).get(callId)
  // A held call becomes the AI SDK's own approval request: no result, nothing ran.
  if (output === undefined && held.length > 0) return { refused: true, text: JSON.stringify(held) }
  if (output === undefined) throw new Error('no tool result')
  return { refused: isRefusalOutput(output), text: JSON.stringify(output) }
}

describeAdapterConformance('ai-sdk gateTools in generateText', async () => ({
  async run(call) {
    const held: HeldToolCall[] = []
    const tools = toolsFor(call, held)
    const result = await generateText({
      model: modelFor(call, tools),
      tools,
      stopWhen: stepCountIs(3),
      prompt: 'pay',
    })
    return outcomeOf(result.steps, held)
  },
}))

describeAdapterConformance('ai-sdk gateTools in streamText', async () => ({
  async run(call) {
    const held: HeldToolCall[] = []
    const tools = toolsFor(call, held)
    const result = streamText({
      model: modelFor(call, tools),
      tools,
      stopWhen: stepCountIs(3),
      prompt: 'pay',
    })
    return outcomeOf(await result.steps, held)
  },
}))
