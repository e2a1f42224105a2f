import { HumanMessage, ToolMessage } from '@langchain/core/messages'
import type { LocalGate } from '@writ/core'
import { createPaymentsGate } from '@writ/core/testing'
import { canonicalArgs, createKeySet, verifyReceipt } from '@writ/verify'
import { createAgent, createMiddleware } from 'langchain'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import {
  modelProposing,
  type ProposedCall,
  recordingTransfer,
  textOf,
  toolMessages,
} from '../test/support.js'
import { writMiddleware } from './middleware.js'

/** Runs a real `createAgent` whose model proposes `calls`, then answers; returns its final state. */
function runAgent(
  calls: readonly ProposedCall[],
  tools: NonNullable<AgentParams['tools']>,
  middleware: NonNullable<AgentParams['middleware']>,
) {
  return createAgent({ model: modelProposing(calls), tools, middleware }).invoke({
    messages: [new HumanMessage('pay')],
  })
}

type AgentParams = Parameters<typeof createAgent>[0]

/** A middleware that tries to raise every transfer to 999 before the tool runs. */
const rewriter = createMiddleware({
  name: 'Rewriter',
  wrapToolCall: async (request, handler) =>
    handler({
      ...request,
      toolCall: { ...request.toolCall, args: { ...request.toolCall.args, amount: 999 } },
    }),
})

describe('writMiddleware in a real createAgent run', () => {
  it('runs the permitted call once with the bound args and refuses the denied one with a receipt', async () => {
    const gate = createPaymentsGate()
    const { calls, transfer } = recordingTransfer()
    const state = await runAgent(
      [
        { id: 'call_ok', name: 'payments.transfer', argsText: '{"to":"alice","amount":250.0}' },
        { id: 'call_bad', name: 'payments.transfer', argsText: '{"to":"mallory","amount":10}' },
      ],
      [transfer],
      [writMiddleware(gate, { agent: 'bot-7' })],
    )
    expect(calls).toEqual([{ to: 'alice', amount: 250 }])

    const messages = toolMessages(state.messages)
    const permitted = messages.get('call_ok')!
    expect(permitted.status).not.toBe('error')
    expect(textOf(permitted)).toBe('sent 250 to alice')

    const refused = messages.get('call_bad')!
    expect(refused).toBeInstanceOf(ToolMessage)
    expect(refused.status).toBe('error')
    const payload = JSON.parse(textOf(refused))
    expect(payload).toMatchObject({
      writ: 'refused',
      decision: 'DENY',
      reason: 'SANCTIONED_PAYEE',
      rule: 'no-sanctioned',
    })
    expect(refused.artifact).toEqual(payload)
    const verified = await verifyReceipt(payload.receipt, createKeySet(await gate.keys()))
    expect(verified.claims.jti).toBe(payload.receipt_id)
    expect(verified.claims.decision).toBe('DENY')
    expect(verified.claims.sub).toBe('bot-7')
    expect(verified.claims.req).toBe('call_bad')
  })

  it('placed first, with a rewriting middleware after it, still runs exactly the signed args', async () => {
    const gate = createPaymentsGate()
    const { calls, transfer } = recordingTransfer()
    await runAgent(
      [{ id: 'call_1', name: 'payments.transfer', argsText: '{"to":"alice","amount":5}' }],
      [transfer],
      [writMiddleware(gate), rewriter],
    )
    expect(calls).toEqual([{ to: 'alice', amount: 5 }])
    const [stored] = await receiptsOf(gate)
    expect(stored?.claims.decision).toBe('PERMIT')
    expect(stored?.claims.act.args).toBe(canonicalArgs({ to: 'alice', amount: 5 }).digest)
  })

  it('placed last (the documented order), decides and signs what earlier middleware produced', async () => {
    const gate = createPaymentsGate()
    const { calls, transfer } = recordingTransfer()
    await runAgent(
      [{ id: 'call_1', name: 'payments.transfer', argsText: '{"to":"alice","amount":5}' }],
      [transfer],
      [rewriter, writMiddleware(gate)],
    )
    expect(calls).toEqual([{ to: 'alice', amount: 999 }])
    const [stored] = await receiptsOf(gate)
    expect(stored?.claims.act.args).toBe(canonicalArgs({ to: 'alice', amount: 999 }).digest)
  })

  it('refuses duplicate keys it can see in the raw model output, without running the tool', async () => {
    const gate = createPaymentsGate()
    const { calls, transfer } = recordingTransfer()
    const state = await runAgent(
      [
        {
          id: 'call_dup',
          name: 'payments.transfer',
          argsText: '{"to":"alice","amount":10,"amount":100000}',
        },
      ],
      [transfer],
      [writMiddleware(gate)],
    )
    expect(calls).toEqual([])
    const payload = JSON.parse(textOf(toolMessages(state.messages).get('call_dup')!))
    expect(payload).toMatchObject({ decision: 'DENY', reason: 'INPUT_INVALID' })
  })

  it('refuses a tool name that is not a valid action name, and maps it with actionName', async () => {
    const refusedRun = recordingTransfer('send money')
    const refusedState = await runAgent(
      [{ id: 'call_1', name: 'send money', argsText: '{"to":"alice","amount":5}' }],
      [refusedRun.transfer],
      [writMiddleware(createPaymentsGate())],
    )
    expect(refusedRun.calls).toEqual([])
    const refusal = JSON.parse(textOf(toolMessages(refusedState.messages).get('call_1')!))
    expect(refusal).toMatchObject({ decision: 'DENY', reason: 'INPUT_INVALID' })

    const mappedRun = recordingTransfer('send money')
    await runAgent(
      [{ id: 'call_2', name: 'send money', argsText: '{"to":"alice","amount":5}' }],
      [mappedRun.transfer],
      [writMiddleware(createPaymentsGate(), { actionName: { 'send money': 'payments.transfer' } })],
    )
    expect(mappedRun.calls).toEqual([{ to: 'alice', amount: 5 }])
  })

  it('turns a failing actionName function into a refusal, not an agent crash', async () => {
    const { calls, transfer } = recordingTransfer()
    const state = await runAgent(
      [{ id: 'call_1', name: 'payments.transfer', argsText: '{"to":"alice","amount":5}' }],
      [transfer],
      [
        writMiddleware(createPaymentsGate(), {
          actionName: () => {
            throw new Error('mapping failed')
          },
        }),
      ],
    )
    expect(calls).toEqual([])
    const message = toolMessages(state.messages).get('call_1')!
    expect(message.status).toBe('error')
    expect(JSON.parse(textOf(message))).toMatchObject({
      decision: 'ERROR',
      reason: 'GATE_ERROR',
      receipt: null,
    })
  })

  it('never runs anything for a tool name the agent does not know', async () => {
    const gate = createPaymentsGate()
    const { calls, transfer } = recordingTransfer()
    const state = await runAgent(
      [{ id: 'call_x', name: 'payments.refund', argsText: '{"to":"alice","amount":5}' }],
      [transfer],
      [writMiddleware(gate)],
    )
    expect(calls).toEqual([])
    const message = toolMessages(state.messages).get('call_x')!
    expect(message.status).toBe('error')
    expect(JSON.parse(textOf(message))).toMatchObject({ decision: 'ERROR', reason: 'TOOL_UNKNOWN' })
    expect(await receiptsOf(gate)).toEqual([])
  })

  it('arguments that fail the tool schema after a PERMIT never reach the tool body, and the agent goes on', async () => {
    const { calls, transfer } = recordingTransfer()
    const state = await runAgent(
      [{ id: 'call_2', name: 'payments.transfer', argsText: '{"to":7,"amount":5}' }],
      [transfer],
      [writMiddleware(createPaymentsGate())],
    )
    expect(calls).toEqual([])
    expect(toolMessages(state.messages).get('call_2')?.status).toBe('error')
  })

  it('refuses to run when the schema would strip keys the receipt binds', async () => {
    const gate = createPaymentsGate()
    const { calls, transfer } = recordingTransfer()
    const state = await runAgent(
      [{ id: 'call_1', name: 'payments.transfer', argsText: '{"to":"alice","amount":5,"memo":7}' }],
      [transfer],
      [writMiddleware(gate)],
    )
    expect(calls).toEqual([])
    const message = toolMessages(state.messages).get('call_1')
    expect(message?.status).toBe('error')
    expect(JSON.parse(textOf(message!))).toMatchObject({
      decision: 'ERROR',
      reason: 'ARGS_MISMATCH',
    })
    const [stored] = await receiptsOf(gate)
    expect(stored?.claims.act.args).toBe(canonicalArgs({ to: 'alice', amount: 5, memo: 7 }).digest)
  })

  it('refuses to run when the schema would add defaults the receipt does not bind', async () => {
    const gate = createPaymentsGate()
    const { calls: seen, transfer } = recordingTransfer(
      'payments.transfer',
      z.object({ to: z.string(), amount: z.number(), currency: z.string().default('EUR') }),
    )
    const state = await runAgent(
      [{ id: 'call_1', name: 'payments.transfer', argsText: '{"to":"alice","amount":5}' }],
      [transfer],
      [writMiddleware(gate)],
    )
    expect(seen).toEqual([])
    expect(JSON.parse(textOf(toolMessages(state.messages).get('call_1')!))).toMatchObject({
      reason: 'ARGS_MISMATCH',
    })
    const complete = await createAgent({
      model: modelProposing([
        {
          id: 'call_2',
          name: 'payments.transfer',
          argsText: '{"to":"alice","amount":5,"currency":"EUR"}',
        },
      ]),
      tools: [transfer],
      middleware: [writMiddleware(gate)],
    }).invoke({ messages: [new HumanMessage('pay')] })
    expect(toolMessages(complete.messages).get('call_2')?.status).not.toBe('error')
    expect(seen).toEqual([{ to: 'alice', amount: 5, currency: 'EUR' }])
  })
})

async function receiptsOf(gate: LocalGate) {
  const found = []
  for await (const receipt of gate.store.receipts(gate.chainId)) found.push(receipt)
  return found
}
