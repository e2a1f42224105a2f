/**
 * Tool-call floods (item: a cap on tool calls per model message). A model message that
 * carries hundreds or thousands of tool calls must not turn into as many decisions and
 * executions: past the cap (`maxToolCalls`, default 64) no call of that message runs,
 * the gate is not asked, and each call gets a `TOO_MANY_TOOL_CALLS` refusal the model
 * can read. Real `openai` client against the scripted wire server; real LangChain agent
 * with its fake chat model.
 */
import { AIMessage, HumanMessage, ToolMessage } from '@langchain/core/messages'
import { fakeModel } from '@langchain/core/testing'
import { tool } from '@langchain/core/tools'
import type { LocalGate } from '@writ/core'
import { gateTool, writMiddleware } from '@writ/langchain'
import {
  DEFAULT_MAX_TOOL_CALLS,
  gateRunnableTools,
  handleChatToolCalls,
  handleResponseFunctionCalls,
} from '@writ/openai'
import { createAgent } from 'langchain'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { dotted, makeGate, refusalIn, transferHandlers, useFakeOpenAI } from './support.js'

const FLOOD = 200

const fake = useFakeOpenAI()
const schema = { type: 'object' } as const

/** The refusal reason in a tool output, or `undefined` when it is not a refusal. */
const reasonIn = (content: unknown): unknown => refusalIn(content)?.['reason']

function scriptedCalls(count: number) {
  return Array.from({ length: count }, (_, index) => ({
    id: `call_${index}`,
    name: 'payments_transfer',
    arguments: '{"amount":1}',
  }))
}

async function receiptsIn(gate: LocalGate): Promise<number> {
  let count = 0
  for await (const _ of gate.store.receipts(gate.chainId)) count++
  return count
}

describe('OpenAI: a message over the cap runs none of its calls', () => {
  it('handleChatToolCalls', async () => {
    const ran: unknown[] = []
    const gate = makeGate()
    fake.server.script({ toolCalls: scriptedCalls(FLOOD) })
    const message = await fake.chatMessage()
    const results = await handleChatToolCalls(gate, message, transferHandlers(ran), {
      actionName: dotted,
    })
    expect(ran).toEqual([])
    expect(await receiptsIn(gate)).toBe(0)
    expect(results.map((result) => result.tool_call_id)).toEqual(
      message.tool_calls!.map((call) => call.id),
    )
    expect(new Set(results.map((result) => reasonIn(result.content)))).toEqual(
      new Set(['TOO_MANY_TOOL_CALLS']),
    )
  })

  it('handleChatToolCalls runs a message at the cap, and honours a smaller cap', async () => {
    const ran: unknown[] = []
    const gate = makeGate()
    fake.server.script(
      { toolCalls: scriptedCalls(DEFAULT_MAX_TOOL_CALLS) },
      { toolCalls: scriptedCalls(4) },
    )
    const handlers = { payments_transfer: (args: unknown) => ran.push(args) }
    const ask = () => fake.chatMessage()
    await handleChatToolCalls(gate, await ask(), handlers, { actionName: dotted })
    expect(ran).toHaveLength(DEFAULT_MAX_TOOL_CALLS)
    const results = await handleChatToolCalls(gate, await ask(), handlers, {
      actionName: dotted,
      maxToolCalls: 3,
    })
    expect(ran).toHaveLength(DEFAULT_MAX_TOOL_CALLS)
    expect(results.map((result) => reasonIn(result.content))).toEqual(
      Array(4).fill('TOO_MANY_TOOL_CALLS'),
    )
  })

  it('handleResponseFunctionCalls', async () => {
    const ran: unknown[] = []
    const gate = makeGate()
    fake.server.script({ toolCalls: scriptedCalls(FLOOD) })
    const response = await fake.client().responses.create({
      model: 'gpt-test',
      input: 'pay',
      tools: [{ type: 'function', name: 'payments_transfer', parameters: schema, strict: false }],
    })
    const outputs = await handleResponseFunctionCalls(gate, response, transferHandlers(ran), {
      actionName: dotted,
    })
    expect(ran).toEqual([])
    expect(await receiptsIn(gate)).toBe(0)
    expect(outputs).toHaveLength(FLOOD)
    expect(new Set(outputs.map((output) => reasonIn(output.output)))).toEqual(
      new Set(['TOO_MANY_TOOL_CALLS']),
    )
  })

  it('gateRunnableTools with client.chat.completions.runTools', async () => {
    const ran: unknown[] = []
    const gate = makeGate()
    fake.server.script({ toolCalls: scriptedCalls(FLOOD) }, { text: 'done' })
    const runner = fake.client().chat.completions.runTools({
      model: 'gpt-test',
      messages: [{ role: 'user', content: 'pay' }],
      tools: gateRunnableTools(
        gate,
        [
          {
            type: 'function',
            function: {
              name: 'payments_transfer',
              parameters: schema,
              parse: JSON.parse,
              function: (args: unknown) => ran.push(args),
            },
          },
        ],
        { actionName: dotted },
      ),
    })
    await runner.finalContent()
    expect(ran).toEqual([])
    expect(await receiptsIn(gate)).toBe(0)
    const answers = runner.messages.filter((message) => message.role === 'tool')
    expect(answers).toHaveLength(FLOOD)
    expect(new Set(answers.map((message) => reasonIn(message.content)))).toEqual(
      new Set(['TOO_MANY_TOOL_CALLS']),
    )
  })
})

function modelProposing(count: number) {
  const calls = Array.from({ length: count }, (_, index) => ({
    id: `call_${index}`,
    name: 'payments.transfer',
    args: { amount: 1 },
    type: 'tool_call' as const,
  }))
  return fakeModel()
    .respond(new AIMessage({ content: '', tool_calls: calls }))
    .respond(new AIMessage('done'))
}

function transferTool(ran: unknown[]) {
  return tool(
    async (args) => {
      ran.push(args)
      return 'sent'
    },
    {
      name: 'payments.transfer',
      description: 'Transfer money.',
      schema: z.object({ amount: z.number() }),
    },
  )
}

function refusalReasons(messages: readonly unknown[]): unknown[] {
  return messages
    .filter((message) => ToolMessage.isInstance(message))
    .map((message) => reasonIn((message as ToolMessage).content))
}

describe('maxToolCalls', () => {
  it('must be a positive integer', () => {
    const gate = makeGate()
    for (const maxToolCalls of [0, -1, 1.5, Number.NaN]) {
      expect(() => gateRunnableTools(gate, [], { maxToolCalls })).toThrow(TypeError)
      expect(() => writMiddleware(gate, { maxToolCalls })).toThrow(TypeError)
      expect(() => gateTool(gate, transferTool([]), { maxToolCalls })).toThrow(TypeError)
    }
  })
})

describe('LangChain: a message over the cap runs none of its calls', () => {
  it('writMiddleware', async () => {
    const ran: unknown[] = []
    const gate = makeGate()
    const agent = createAgent({
      model: modelProposing(FLOOD),
      tools: [transferTool(ran)],
      middleware: [writMiddleware(gate)],
    })
    const state = await agent.invoke({ messages: [new HumanMessage('pay')] })
    expect(ran).toEqual([])
    expect(await receiptsIn(gate)).toBe(0)
    const reasons = refusalReasons(state.messages)
    expect(reasons).toHaveLength(FLOOD)
    expect(new Set(reasons)).toEqual(new Set(['TOO_MANY_TOOL_CALLS']))
  })

  it('writMiddleware runs a message within a smaller cap, and refuses one over it', async () => {
    const ran: unknown[] = []
    const gate = makeGate()
    const within = createAgent({
      model: modelProposing(3),
      tools: [transferTool(ran)],
      middleware: [writMiddleware(gate, { maxToolCalls: 3 })],
    })
    await within.invoke({ messages: [new HumanMessage('pay')] })
    expect(ran).toHaveLength(3)
    const over = createAgent({
      model: modelProposing(4),
      tools: [transferTool(ran)],
      middleware: [writMiddleware(gate, { maxToolCalls: 3 })],
    })
    const state = await over.invoke({ messages: [new HumanMessage('pay')] })
    expect(ran).toHaveLength(3)
    expect(refusalReasons(state.messages)).toEqual(Array(4).fill('TOO_MANY_TOOL_CALLS'))
  })

  it('gateTool in an agent', async () => {
    const ran: unknown[] = []
    const gate = makeGate()
    const agent = createAgent({
      model: modelProposing(FLOOD),
      tools: [gateTool(gate, transferTool(ran))],
    })
    const state = await agent.invoke({ messages: [new HumanMessage('pay')] })
    expect(ran).toEqual([])
    expect(await receiptsIn(gate)).toBe(0)
    const reasons = refusalReasons(state.messages)
    expect(reasons).toHaveLength(FLOOD)
    expect(new Set(reasons)).toEqual(new Set(['TOO_MANY_TOOL_CALLS']))
  })
})
