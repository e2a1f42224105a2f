/**
 * LangChain agents with a hostile model: real `createAgent` runs with a fake chat model
 * proposing the calls, real tools, real gates.
 */
import { AIMessage, HumanMessage, ToolMessage } from '@langchain/core/messages'
import { fakeModel } from '@langchain/core/testing'
import { tool } from '@langchain/core/tools'
import { gateTool, writMiddleware } from '@writ/langchain'
import { verifyReceipt } from '@writ/verify'
import { createAgent } from 'langchain'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { makeGate } from './support.js'

interface Proposed {
  readonly id: string
  readonly name: string
  readonly argsText: string
}

/** A model turn as ChatOpenAI reports it: parsed args plus the raw text. */
function modelProposing(calls: readonly Proposed[]) {
  const message = new AIMessage({
    content: '',
    tool_calls: calls.map((call) => ({
      id: call.id,
      name: call.name,
      args: JSON.parse(call.argsText) as Record<string, unknown>,
      type: 'tool_call' as const,
    })),
    additional_kwargs: {
      tool_calls: calls.map((call) => ({
        id: call.id,
        type: 'function' as const,
        function: { name: call.name, arguments: call.argsText },
      })),
    },
  })
  return fakeModel().respond(message).respond(new AIMessage('done'))
}

function transferTool(calls: unknown[]) {
  return tool(
    async (args) => {
      calls.push(structuredClone(args))
      return 'sent'
    },
    {
      name: 'payments.transfer',
      description: 'Transfer money.',
      schema: z.object({ amount: z.number(), to: z.string().optional() }),
    },
  )
}

function refusals(messages: readonly unknown[]): Map<string, Record<string, unknown>> {
  const found = new Map<string, Record<string, unknown>>()
  for (const message of messages) {
    if (!ToolMessage.isInstance(message) || message.status !== 'error') continue
    try {
      found.set(message.tool_call_id, JSON.parse(String(message.content)))
    } catch {
      found.set(message.tool_call_id, { unparsed: message.content })
    }
  }
  return found
}

describe('writMiddleware against hostile tool calls', () => {
  it('duplicate keys, forbidden keys and huge integers in the raw text never run', async () => {
    const calls: unknown[] = []
    const gate = makeGate()
    const agent = createAgent({
      model: modelProposing([
        { id: 'dup', name: 'payments.transfer', argsText: '{"amount":5,"amount":1000000}' },
        { id: 'big', name: 'payments.transfer', argsText: '{"amount":9007199254740993}' },
        {
          id: 'deep',
          name: 'payments.transfer',
          argsText: `{"amount":5,"x":${'['.repeat(100)}${']'.repeat(100)}}`,
        },
      ]),
      tools: [transferTool(calls)],
      middleware: [writMiddleware(gate)],
    })
    const state = await agent.invoke({ messages: [new HumanMessage('pay')] })
    expect(calls).toEqual([])
    const refused = refusals(state.messages)
    for (const id of ['dup', 'big', 'deep'])
      expect(refused.get(id)?.['reason']).toBe('INPUT_INVALID')
  })

  it('a lone surrogate in the tool call id is refused with a receipt that verifies', async () => {
    const calls: unknown[] = []
    const gate = makeGate()
    const agent = createAgent({
      model: modelProposing([
        { id: 'call_\udfff', name: 'payments.transfer', argsText: '{"amount":5}' },
      ]),
      tools: [transferTool(calls)],
      middleware: [writMiddleware(gate)],
    })
    const state = await agent.invoke({ messages: [new HumanMessage('pay')] })
    expect(calls).toEqual([])
    const refusal = refusals(state.messages).get('call_\udfff')
    expect(refusal?.['reason']).toBe('INPUT_INVALID')
    await expect(
      verifyReceipt(String(refusal?.['receipt']), gate.verifyKeys()),
    ).resolves.toMatchObject({ claims: { decision: 'DENY', reason: 'INPUT_INVALID' } })
  })
})

describe('gateTool invoked directly', () => {
  it('mutating the caller arguments during the decision changes nothing that runs', async () => {
    const calls: unknown[] = []
    const gated = gateTool(makeGate(), transferTool(calls))
    const args = { amount: 5 }
    const pending = gated.invoke({ type: 'tool_call', id: 'c1', name: 'payments.transfer', args })
    args.amount = 1_000_000
    await pending
    expect(calls).toEqual([{ amount: 5 }])
  })

  it('a refused call with onRefusal "throw" rejects with ACTION_REFUSED and runs nothing', async () => {
    const calls: unknown[] = []
    const gated = gateTool(makeGate(), transferTool(calls), { onRefusal: 'throw' })
    await expect(gated.invoke({ amount: 5000 })).rejects.toMatchObject({ code: 'ACTION_REFUSED' })
    expect(calls).toEqual([])
  })
})
