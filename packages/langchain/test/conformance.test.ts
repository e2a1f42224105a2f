import { HumanMessage } from '@langchain/core/messages'
import { tool } from '@langchain/core/tools'
import { END, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph'
import { ToolNode } from '@langchain/langgraph/prebuilt'
import { createAgent } from 'langchain'
import { z } from 'zod'
import {
  describeAdapterConformance,
  type HarnessCall,
} from '../../../test/conformance/adapter-suite.js'
import { gateTool, writMiddleware } from '../src/index.js'
import { modelProposing, proposal, textOf, toolMessages } from './support.js'

function paymentTool(call: HarnessCall) {
  return tool(async (args) => JSON.stringify(await call.execute(args)), {
    name: call.action,
    description: 'Transfer money to a payee.',
    schema: z.object({ to: z.string(), amount: z.number(), memo: z.string().optional() }),
  })
}

const callId = 'call_conformance_1'

describeAdapterConformance('langchain writMiddleware in createAgent', async () => ({
  async run(call) {
    const agent = createAgent({
      model: modelProposing([{ id: callId, name: call.action, argsText: call.argsText }]),
      tools: [paymentTool(call)],
      middleware: [writMiddleware(call.gate)],
    })
    const state = await agent.invoke({ messages: [new HumanMessage('pay')] })
    const message = toolMessages(state.messages).get(callId)
    if (message === undefined) throw new Error('no tool message')
    return { refused: message.status === 'error', text: textOf(message) }
  },
}))

describeAdapterConformance('langchain gateTool in createAgent', async () => ({
  async run(call) {
    const agent = createAgent({
      model: modelProposing([{ id: callId, name: call.action, argsText: call.argsText }]),
      tools: [gateTool(call.gate, paymentTool(call))],
    })
    const state = await agent.invoke({ messages: [new HumanMessage('pay')] })
    const message = toolMessages(state.messages).get(callId)
    if (message === undefined) throw new Error('no tool message')
    return { refused: message.status === 'error', text: textOf(message) }
  },
}))

describeAdapterConformance('langchain gateTool in a LangGraph ToolNode', async () => ({
  async run(call) {
    const graph = new StateGraph(MessagesAnnotation)
      .addNode('tools', new ToolNode([gateTool(call.gate, paymentTool(call))]))
      .addEdge(START, 'tools')
      .addEdge('tools', END)
      .compile()
    const messages = [proposal([{ id: callId, name: call.action, argsText: call.argsText }])]
    const state = await graph.invoke({ messages })
    const message = toolMessages(state.messages).get(callId)
    if (message === undefined) throw new Error('no tool message')
    return { refused: message.status === 'error', text: textOf(message) }
  },
}))
