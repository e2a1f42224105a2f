import { Agent, Runner, tool } from '@openai/agents'
import { z } from 'zod'
import {
  describeAdapterConformance,
  type HarnessCall,
} from '../../../test/conformance/adapter-suite.js'
import { gateTool } from '../src/index.js'
import { outputsById, ScriptedModel, ScriptedModelProvider } from './support.js'

const callId = 'call_conformance_1'

function agentFor(call: HarnessCall) {
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
  return new Agent({ name: 'teller', tools: [gateTool(call.gate, transfer, { actionName })] })
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
      const result = stream
        ? await runner.run(agentFor(call), 'pay', { stream: true })
        : await runner.run(agentFor(call), 'pay')
      if (stream) await (result as { completed?: Promise<void> }).completed
      const text = outputsById(result.newItems).get(callId)
      if (text === undefined) throw new Error('no tool output')
      return { refused: text.includes('"writ":"refused"'), text }
    },
  }))
}
