import { compilePolicy, createGate, generateSigningKey, type PermitDecision } from '@writ/core'
import { createPaymentsGate } from '@writ/core/testing'
import { createKeySet, verifyPermit } from '@writ/verify'
import OpenAI from 'openai'
import { describe, expect, it } from 'vitest'
import { handleChatToolCalls, handleResponseFunctionCalls } from '../src/index.js'
import { dotted, refusalIn, transferSchema, useFakeOpenAI } from './support.js'

const fake = useFakeOpenAI()

const chatTools: OpenAI.Chat.ChatCompletionTool[] = [
  { type: 'function', function: { name: 'payments_transfer', parameters: transferSchema } },
]
const responseTools: OpenAI.Responses.Tool[] = [
  { type: 'function', name: 'payments_transfer', parameters: transferSchema, strict: false },
]

function recordingHandlers() {
  const calls: Array<{ args: unknown; decision: PermitDecision }> = []
  const handlers = {
    payments_transfer: (args: unknown, decision: PermitDecision) => {
      calls.push({ args, decision })
      return { ok: true, id: `tx-${calls.length}` }
    },
  }
  return { calls, handlers }
}

const lookalikes = [
  'payments_transfer ',
  'p\u0430yments_transfer',
  'PAYMENTS_TRANSFER',
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
]

describe('handleChatToolCalls', () => {
  it('answers every tool call id, runs only permitted calls, and the next request is accepted', async () => {
    const gate = createPaymentsGate()
    const { calls, handlers } = recordingHandlers()
    fake.server.script({
      toolCalls: [
        { id: 'call_ok', name: 'payments_transfer', arguments: '{"to":"alice","amount":40}' },
        { id: 'call_deny', name: 'payments_transfer', arguments: '{"to":"mallory","amount":40}' },
        ...lookalikes.map((name, index) => ({
          id: `call_fake_${index}`,
          name,
          arguments: '{"to":"alice","amount":1}',
        })),
      ],
    })
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'pay' }]
    const completion = await fake.client.chat.completions.create({
      model: 'gpt-test',
      messages,
      tools: chatTools,
    })
    const message = completion.choices[0]!.message
    const results = await handleChatToolCalls(gate, message, handlers, {
      actionName: dotted,
      agent: 'bot-7',
    })

    expect(results.map((result) => result.tool_call_id)).toEqual(
      message.tool_calls!.map((call) => call.id),
    )
    expect(results.every((result) => result.role === 'tool')).toBe(true)
    expect(calls).toHaveLength(1)
    expect(calls[0]!.args).toEqual({ to: 'alice', amount: 40 })
    expect(Object.isFrozen(calls[0]!.args)).toBe(true)
    expect(calls[0]!.decision.claims.sub).toBe('bot-7')
    expect(calls[0]!.decision.claims.req).toBe('call_ok')
    await verifyPermit(calls[0]!.decision.receipt, createKeySet(await gate.keys()), {
      action: 'payments.transfer',
      args: { to: 'alice', amount: 40 },
    })
    expect(JSON.parse(String(results[0]!.content))).toEqual({ ok: true, id: 'tx-1' })
    expect(refusalIn(String(results[1]!.content))?.['reason']).toBe('SANCTIONED_PAYEE')
    for (const result of results.slice(2)) {
      const refusal = refusalIn(String(result.content))!
      expect(refusal['decision']).toBe('ERROR')
      expect(refusal['reason']).toBe('TOOL_UNKNOWN')
      expect(refusal['receipt_id']).toBeNull()
    }

    const next = await fake.client.chat.completions.create({
      model: 'gpt-test',
      messages: [...messages, message, ...results],
      tools: chatTools,
    })
    expect(next.choices[0]!.message.content).toBe('done')
  })

  it('is checked by a server that rejects a missing tool output, as the real API does', async () => {
    fake.server.script({
      toolCalls: [{ id: 'call_1', name: 'payments_transfer', arguments: '{}' }],
    })
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [{ role: 'user', content: 'pay' }]
    const completion = await fake.client.chat.completions.create({
      model: 'gpt-test',
      messages,
      tools: chatTools,
    })
    const error = await fake.client.chat.completions
      .create({
        model: 'gpt-test',
        messages: [...messages, completion.choices[0]!.message],
        tools: chatTools,
      })
      .catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(OpenAI.BadRequestError)
    expect((error as InstanceType<typeof OpenAI.BadRequestError>).status).toBe(400)
  })

  it('accepts handlers typed for their own argument shape', async () => {
    const seen: string[] = []
    const transfer = (args: { to: string; amount: number }) => {
      seen.push(`${args.amount} to ${args.to}`)
      return 'sent'
    }
    const results = await handleChatToolCalls(
      createPaymentsGate(),
      {
        tool_calls: [
          {
            id: 'c',
            type: 'function',
            function: { name: 'payments_transfer', arguments: '{"to":"bo","amount":3}' },
          },
        ],
      },
      { payments_transfer: transfer },
      { actionName: dotted },
    )
    expect(seen).toEqual(['3 to bo'])
    expect(results[0]!.content).toBe('sent')
  })

  it('signs the agent and audience options into the receipt and hands context to the policy', async () => {
    const gate = createGate({
      policy: compilePolicy(`
writ: 1
id: tenants
rules:
  - id: acme-only
    effect: permit
    actions: [payments.transfer]
    when: context.tenant == 'acme'
`),
      keys: generateSigningKey(),
      issuer: 'https://writ.test',
    })
    const { calls, handlers } = recordingHandlers()
    const message = {
      tool_calls: [
        {
          id: 'c1',
          type: 'function' as const,
          function: { name: 'payments_transfer', arguments: '{"to":"a","amount":1}' },
        },
      ],
    }
    const base = { actionName: dotted, agent: 'bot-9', audience: 'https://bank.example' }
    const other = await handleChatToolCalls(gate, message, handlers, {
      ...base,
      context: { tenant: 'globex' },
    })
    expect(calls).toHaveLength(0)
    expect(refusalIn(String(other[0]!.content))?.['decision']).toBe('SILENCE')
    await handleChatToolCalls(gate, message, handlers, { ...base, context: { tenant: 'acme' } })
    expect(calls).toHaveLength(1)
    expect(calls[0]!.decision.claims.sub).toBe('bot-9')
    expect(calls[0]!.decision.claims.aud).toBe('https://bank.example')
  })

  it('refuses custom (non-function) tool calls and answers them too', async () => {
    const { calls, handlers } = recordingHandlers()
    const results = await handleChatToolCalls(
      createPaymentsGate(),
      {
        tool_calls: [
          {
            id: 'call_custom',
            type: 'custom',
            custom: { name: 'payments_transfer', input: 'to alice 5' },
          },
        ],
      },
      handlers,
    )
    expect(calls).toHaveLength(0)
    expect(results).toHaveLength(1)
    expect(results[0]!.tool_call_id).toBe('call_custom')
    expect(refusalIn(String(results[0]!.content))?.['reason']).toBe('TOOL_UNKNOWN')
  })

  it('returns nothing for a message without tool calls, and rejects non-function handlers at once', async () => {
    expect(await handleChatToolCalls(createPaymentsGate(), { tool_calls: [] }, {})).toEqual([])
    expect(await handleChatToolCalls(createPaymentsGate(), {}, {})).toEqual([])
    await expect(
      handleChatToolCalls(createPaymentsGate(), {}, { bad: 'nope' as never }),
    ).rejects.toThrow(TypeError)
  })

  it('ignores handlers inherited through the prototype', async () => {
    const inherited = Object.create({ payments_transfer: () => 'ran' }) as Record<
      string,
      () => unknown
    >
    const results = await handleChatToolCalls(
      createPaymentsGate(),
      {
        tool_calls: [
          {
            id: 'c',
            type: 'function',
            function: { name: 'payments_transfer', arguments: '{"to":"a","amount":1}' },
          },
        ],
      },
      inherited,
      { actionName: dotted },
    )
    expect(refusalIn(String(results[0]!.content))?.['reason']).toBe('TOOL_UNKNOWN')
  })
})

describe('handleResponseFunctionCalls', () => {
  it('returns one function_call_output per call, runs only permitted calls, and the follow-up is accepted', async () => {
    const gate = createPaymentsGate()
    const { calls, handlers } = recordingHandlers()
    fake.server.script({
      toolCalls: [
        { id: 'call_ok', name: 'payments_transfer', arguments: '{"to":"alice","amount":40}' },
        { id: 'call_silent', name: 'payments_transfer', arguments: '{"to":"alice","amount":4000}' },
        {
          id: 'call_dup',
          name: 'payments_transfer',
          arguments: '{"to":"alice","amount":4,"amount":4000}',
        },
        ...lookalikes.map((name, index) => ({
          id: `call_fake_${index}`,
          name,
          arguments: '{"to":"alice","amount":1}',
        })),
      ],
    })
    const response = await fake.client.responses.create({
      model: 'gpt-test',
      input: 'pay',
      tools: responseTools,
    })
    const outputs = await handleResponseFunctionCalls(gate, response, handlers, {
      actionName: dotted,
    })

    expect(outputs.map((output) => output.call_id)).toEqual([
      'call_ok',
      'call_silent',
      'call_dup',
      ...lookalikes.map((_, index) => `call_fake_${index}`),
    ])
    expect(outputs.every((output) => output.type === 'function_call_output')).toBe(true)
    expect(calls).toHaveLength(1)
    expect(calls[0]!.args).toEqual({ to: 'alice', amount: 40 })
    expect(calls[0]!.decision.claims.req).toBe('call_ok')
    expect(refusalIn(String(outputs[1]!.output))?.['decision']).toBe('SILENCE')
    expect(refusalIn(String(outputs[2]!.output))?.['reason']).toBe('INPUT_INVALID')
    for (const output of outputs.slice(3))
      expect(refusalIn(String(output.output))?.['reason']).toBe('TOOL_UNKNOWN')

    const followUp = await fake.client.responses.create({
      model: 'gpt-test',
      previous_response_id: response.id,
      input: outputs,
      tools: responseTools,
    })
    expect(followUp.output_text).toBe('done')
  })

  it('works statelessly too: the calls and their outputs go back in the input', async () => {
    const gate = createPaymentsGate()
    const { calls, handlers } = recordingHandlers()
    fake.server.script({
      toolCalls: [
        { id: 'call_1', name: 'payments_transfer', arguments: '{"to":"bob","amount":7}' },
      ],
    })
    const input: OpenAI.Responses.ResponseInput = [{ role: 'user', content: 'pay bob' }]
    const response = await fake.client.responses.create({
      model: 'gpt-test',
      input,
      tools: responseTools,
    })
    const outputs = await handleResponseFunctionCalls(gate, response, handlers, {
      actionName: dotted,
    })
    expect(calls).toHaveLength(1)
    const missing = await fake.client.responses
      .create({
        model: 'gpt-test',
        input: [...input, ...(response.output as OpenAI.Responses.ResponseInputItem[])],
        tools: responseTools,
      })
      .catch((caught: unknown) => caught)
    expect(missing).toBeInstanceOf(OpenAI.BadRequestError)
    const followUp = await fake.client.responses.create({
      model: 'gpt-test',
      input: [...input, ...(response.output as OpenAI.Responses.ResponseInputItem[]), ...outputs],
      tools: responseTools,
    })
    expect(followUp.output_text).toBe('done')
  })

  it('names a namespaced call namespace.name, so it never reaches a plain handler of the same name', async () => {
    const { calls, handlers } = recordingHandlers()
    const outputs = await handleResponseFunctionCalls(
      createPaymentsGate(),
      {
        output: [
          {
            type: 'function_call',
            call_id: 'call_ns',
            name: 'payments_transfer',
            namespace: 'other',
            arguments: '{"to":"alice","amount":1}',
          },
          { type: 'message', id: 'msg_1', role: 'assistant', status: 'completed', content: [] },
        ],
      },
      handlers,
      { actionName: dotted },
    )
    expect(calls).toHaveLength(0)
    expect(outputs).toHaveLength(1)
    expect(refusalIn(String(outputs[0]!.output))?.['reason']).toBe('TOOL_UNKNOWN')
  })
})
