import { HumanMessage } from '@langchain/core/messages'
import {
  Command,
  END,
  interrupt,
  MemorySaver,
  MessagesAnnotation,
  START,
  StateGraph,
} from '@langchain/langgraph'
import { ToolNode } from '@langchain/langgraph/prebuilt'
import { createApprovalsFixture } from '@writ/core/testing'
import { createAgent } from 'langchain'
import { describe, expect, it } from 'vitest'
import { gateTool, type HeldInterrupt, writMiddleware } from '../src/index.js'
import { modelProposing, proposal, recordingTransfer, textOf, toolMessages } from './support.js'

const callId = 'call_held_1'
const large = { id: callId, name: 'payments.transfer', argsText: '{"to":"acme","amount":20000}' }

function interruptsOf(state: unknown): HeldInterrupt[] {
  const found = (state as { __interrupt__?: { value: HeldInterrupt }[] }).__interrupt__ ?? []
  return found.map((entry) => entry.value)
}

describe('langchain: holds', () => {
  it('return mode: the model reads that the call is held, and the tool does not run', async () => {
    const fixture = createApprovalsFixture()
    const { calls, transfer } = recordingTransfer()
    const agent = createAgent({
      model: modelProposing([large]),
      tools: [transfer],
      middleware: [writMiddleware(fixture.gate)],
    })
    const state = await agent.invoke({ messages: [new HumanMessage('pay acme')] })
    const message = toolMessages(state.messages).get(callId)
    expect(calls).toHaveLength(0)
    expect(message?.status).toBe('error')
    expect(textOf(message!)).toContain('for approval by finance')
    expect(textOf(message!)).toContain('ask again after approval')
  })

  it('interrupt mode in createAgent: the graph pauses on its checkpointer and resumes once approved', async () => {
    const fixture = createApprovalsFixture()
    const { calls, transfer } = recordingTransfer()
    const agent = createAgent({
      model: modelProposing([large]),
      tools: [transfer],
      middleware: [writMiddleware(fixture.gate, { approval: { mode: 'interrupt', interrupt } })],
      checkpointer: new MemorySaver(),
    })
    const config = { configurable: { thread_id: 'held-thread' } }
    const paused = await agent.invoke({ messages: [new HumanMessage('pay acme')] }, config)
    const [held] = interruptsOf(paused)
    expect(calls).toHaveLength(0)
    expect(held?.hold.group).toBe('finance')
    expect(held?.toolCall.id).toBe(callId)
    expect(await fixture.gate.holds.get(held?.hold.id as string)).toMatchObject({
      state: 'pending',
    })
    const view = await fixture.gate.holds.get(held?.hold.id as string)
    await fixture.gate.holds.submit(fixture.approve(view?.receipt as string, 'alice'))
    const resumed = await agent.invoke(new Command({ resume: 'approved' }), config)
    expect(calls).toEqual([{ to: 'acme', amount: 20000 }])
    const message = toolMessages(resumed.messages).get(callId)
    expect(message?.status).not.toBe('error')
  })

  it('interrupt mode in a StateGraph with a ToolNode and MemorySaver; a rejection never runs', async () => {
    const fixture = createApprovalsFixture()
    const { calls, transfer } = recordingTransfer()
    const graph = new StateGraph(MessagesAnnotation)
      .addNode(
        'tools',
        new ToolNode([
          gateTool(fixture.gate, transfer, { approval: { mode: 'interrupt', interrupt } }),
        ]),
      )
      .addEdge(START, 'tools')
      .addEdge('tools', END)
      .compile({ checkpointer: new MemorySaver() })
    const config = { configurable: { thread_id: 'graph-thread' } }
    const paused = await graph.invoke({ messages: [proposal([large])] }, config)
    const [held] = interruptsOf(paused)
    expect(held?.writ).toBe('held')
    const view = await fixture.gate.holds.get(held?.hold.id as string)
    await fixture.gate.holds.submit(fixture.approve(view?.receipt as string, 'bob', 'reject'))
    const resumed = await graph.invoke(new Command({ resume: 'rejected' }), config)
    expect(calls).toHaveLength(0)
    const message = toolMessages(resumed.messages).get(callId)
    expect(message?.status).toBe('error')
    expect(textOf(message!)).toContain('APPROVAL_REJECTED')
  })

  it('wait mode: gateTool waits for the approval and runs once', async () => {
    const fixture = createApprovalsFixture()
    const { calls, transfer } = recordingTransfer()
    const gated = gateTool(fixture.gate, transfer, {
      approval: { mode: 'wait', timeoutMs: 10_000, pollMs: 20 },
    })
    const running = gated.invoke({
      type: 'tool_call',
      id: callId,
      name: 'payments.transfer',
      args: { to: 'acme', amount: 20000 },
    })
    let pending = (await fixture.gate.holds.list({ state: 'pending' }))[0]
    for (let attempt = 0; pending === undefined && attempt < 200; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 10))
      pending = (await fixture.gate.holds.list({ state: 'pending' }))[0]
    }
    await fixture.gate.holds.submit(fixture.approve(pending?.receipt as string, 'carol'))
    const message = await running
    expect(calls).toEqual([{ to: 'acme', amount: 20000 }])
    expect((message as { status?: string }).status).not.toBe('error')
  })
})
