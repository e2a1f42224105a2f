// What the model reads from @writ/langchain, by the kind of refusal, in a real
// createAgent run: the raw argument text reaches the gate (duplicate keys included).
// And with includeReceipt: false the receipt stays in the artifact only.
import { HumanMessage, type ToolMessage } from '@langchain/core/messages'
import { compilePolicy, createGate, generateSigningKey, type RefusalPayload } from '@writ/core'
import { createAgent } from 'langchain'
import { describe, expect, it } from 'vitest'
import { writMiddleware } from '../src/index.js'
import { modelProposing, recordingTransfer, textOf, toolMessages } from './support.js'

const gate = createGate({
  policy: compilePolicy(`
writ: 1
id: payments
rules:
  - id: small-transfers
    effect: permit
    actions: [payments.transfer]
    when: args.amount > 0 && args.amount <= 1000
  - id: sanctioned
    effect: deny
    actions: [payments.transfer]
    when: args.to == 'mallory'
    reason: SANCTIONED_PAYEE
`),
  keys: generateSigningKey(),
  issuer: 'https://writ.test',
})

async function answer(argsText: string, includeReceipt?: boolean) {
  const { calls, transfer } = recordingTransfer('payments_transfer')
  const agent = createAgent({
    model: modelProposing([{ id: 'call_1', name: 'payments_transfer', argsText }]),
    tools: [transfer],
    middleware: [
      writMiddleware(gate, {
        actionName: { payments_transfer: 'payments.transfer' },
        ...(includeReceipt === undefined ? {} : { includeReceipt }),
      }),
    ],
  })
  const state = await agent.invoke({ messages: [new HumanMessage('pay')] })
  const message = toolMessages(state.messages).get('call_1') as ToolMessage
  expect(calls).toEqual([])
  expect(message.status).toBe('error')
  return { read: JSON.parse(textOf(message)) as RefusalPayload, message }
}

describe('@writ/langchain refusals, by reason class', () => {
  it('invalid input (a duplicate key): the problem code and path, and what to do', async () => {
    const { read } = await answer('{"to":"acme","amount":5,"amount":500}')
    expect(read.reason).toBe('INPUT_INVALID')
    expect(read.problems?.[0]?.code).toBe('INPUT_DUPLICATE_KEY')
    expect(read.message).toContain('INPUT_DUPLICATE_KEY')
    expect(read.message).toMatch(/Correct the arguments/)
  })

  it('evaluation error: not the call, do not retry', async () => {
    const { read } = await answer('{"to":"acme","amount":"five"}')
    expect(read.reason).toBe('EVAL_ERROR')
    expect(read.message).toMatch(/not of your call/)
  })

  it('policy: do not retry', async () => {
    const { read } = await answer('{"to":"mallory","amount":5}')
    expect(read.reason).toBe('SANCTIONED_PAYEE')
    expect(read.message).toMatch(/Do not retry the same call/)
  })

  it('includeReceipt: false keeps the receipt out of the content, in the artifact', async () => {
    const { read, message } = await answer('{"to":"mallory","amount":5}', false)
    expect(read.receipt).toBeNull()
    expect(read.receipt_id).toEqual(expect.any(String))
    expect((message.artifact as RefusalPayload).receipt).toEqual(expect.any(String))
  })
})
