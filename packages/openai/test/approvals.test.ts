import { createApprovalsFixture } from '@writ/core/testing'
import { describe, expect, it } from 'vitest'
import {
  type HeldToolCall,
  handleChatToolCalls,
  handleResponseFunctionCalls,
} from '../src/index.js'

const argsText = '{"to":"acme","amount":20000}'

function chatMessage(id: string) {
  return {
    tool_calls: [
      {
        id,
        type: 'function' as const,
        function: { name: 'payments.transfer', arguments: argsText },
      },
    ],
  }
}

describe('openai: holds', () => {
  it('a hand-written Chat Completions loop: the tool result says held, the loop learns the hold, then runs once approved', async () => {
    const fixture = createApprovalsFixture()
    const runs: unknown[] = []
    const held: HeldToolCall[] = []
    const handlers = { 'payments.transfer': (args: unknown) => runs.push(args) }
    const first = await handleChatToolCalls(fixture.gate, chatMessage('call_1'), handlers, {
      onHold: (entry) => held.push(entry),
    })
    expect(runs).toHaveLength(0)
    expect(String(first[0]?.content)).toContain('for approval by finance')
    expect(held).toEqual([
      {
        toolName: 'payments.transfer',
        callId: 'call_1',
        hold: expect.objectContaining({ group: 'finance' }),
      },
    ])
    const view = await fixture.gate.holds.get(held[0]?.hold.id as string)
    await fixture.gate.holds.submit(fixture.approve(view?.receipt as string, 'alice'))
    await handleChatToolCalls(fixture.gate, chatMessage('call_2'), handlers)
    expect(runs).toEqual([{ to: 'acme', amount: 20000 }])
  })

  it('a Responses loop in wait mode waits for the approval; a rejection answers without running', async () => {
    const fixture = createApprovalsFixture()
    const runs: unknown[] = []
    const handlers = { 'payments.transfer': (args: unknown) => runs.push(args) }
    const response = (callId: string, amount: number) => ({
      output: [
        {
          type: 'function_call' as const,
          call_id: callId,
          name: 'payments.transfer',
          arguments: JSON.stringify({ to: 'acme', amount }),
        },
      ],
    })
    const answer = async (verdict: 'approve' | 'reject') => {
      let pending = (await fixture.gate.holds.list({ state: 'pending' }))[0]
      for (let attempt = 0; pending === undefined && attempt < 200; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 10))
        pending = (await fixture.gate.holds.list({ state: 'pending' }))[0]
      }
      await fixture.gate.holds.submit(fixture.approve(pending?.receipt as string, 'bob', verdict))
    }
    const waiting = { approval: { mode: 'wait', timeoutMs: 10_000, pollMs: 20 } } as const
    const [approved] = await Promise.all([
      handleResponseFunctionCalls(fixture.gate, response('c1', 20000) as never, handlers, waiting),
      answer('approve'),
    ])
    expect(runs).toEqual([{ to: 'acme', amount: 20000 }])
    expect(approved[0]?.output).not.toContain('refused')
    const [rejected] = await Promise.all([
      handleResponseFunctionCalls(fixture.gate, response('c2', 30000) as never, handlers, waiting),
      answer('reject'),
    ])
    expect(runs).toHaveLength(1)
    expect(rejected[0]?.output).toContain('APPROVAL_REJECTED')
  })
})
