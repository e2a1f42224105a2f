import { Agent, Runner, tool } from '@openai/agents'
import { z } from 'zod'
import {
  describeAdapterConformance,
  type HarnessCall,
} from '../../../test/conformance/adapter-suite.js'
import { gateTool, type HeldToolCall } from '../src/index.js'
import { outputsById, ScriptedModel, ScriptedModelProvider } from './support.js'

const callId = 'call_conformance_1'

function agentFor(call: HarnessCall, held: HeldToolCall[]) {
  const transfer = tool({
    name: 'payments_transfer',
    description: 'Transfer money to a payee.',
    parameters: z.object({
      to: z.string(),
      amount: z.number(),
      memo: z.string().nullable().optional(),
    }),
    execute: async (input) => JSON.stringify(await call.execute(input)),
  })
  const actionName = { payments_transfer: call.action }
  const onHold = (entry: HeldToolCall) => held.push(entry)
  return new Agent({
    name: 'teller',
    tools: [gateTool(call.gate, transfer, { actionName, onHold })],
  })
}

for (const stream of [false, true]) {
  describeAdapterConformance(`openai-agents gateTool in a run (stream: ${stream})`, async () => ({
    async run(call) {
      const model = new ScriptedModel([
        [{ id: callId, name: 'payments_transfer', argsText: call.argsText }],
        'done',
      ])
      const runner = new Runner({
        modelProvider: new ScriptedModelProvider(model),
        tracingDisabled: true,
      })
      const held: HeldToolCall[] = []
      const agent = agentFor(call, held)
      const result = stream
        ? await runner.run(agent, 'pay', { stream: true })
        : await runner.run(agent, 'pay')
      if (stream) await (result as { completed?: Promise<void> }).completed
      // A held call interrupts the run with the SDK's own tool approval: nothing ran.
      if (result.interruptions.length > 0) return { refused: true, text: JSON.stringify(held) }
      const text = outputsById(result.newItems).get(callId)
      if (text === undefined) throw new Error('no tool output')
      return { refused: text.includes('"writ":"refused"'), text }
    },
  }))
}
