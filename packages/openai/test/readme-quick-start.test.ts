// The README quick start, verbatim except that the client points at the fake server.
import { compilePolicy, createGate, generateSigningKey } from '@writ/core'
import OpenAI from 'openai'
import { afterEach, beforeEach, expect, it } from 'vitest'
import { gateRunnableTools } from '../src/index.js'
import { type FakeOpenAIServer, startFakeOpenAIServer } from './fake-openai-server.js'

let server: FakeOpenAIServer

beforeEach(async () => {
  server = await startFakeOpenAIServer()
})

afterEach(async () => {
  await server.close()
})

it('runs the README quick start', async () => {
  server.script(
    {
      toolCalls: [
        { id: 'call_1', name: 'payments_transfer', arguments: '{"to":"alice","amount":250}' },
      ],
    },
    { text: 'Paid alice 250.' },
  )

  const gate = createGate({
    policy: compilePolicy(`
writ: 1
id: payments
rules:
  - id: small-transfers
    effect: permit
    actions: [payments.transfer]
    when: args.amount > 0 && args.amount <= 1000
`),
    keys: generateSigningKey(),
    issuer: 'https://authority.example',
  })

  const tools = gateRunnableTools(
    gate,
    [
      {
        type: 'function',
        function: {
          name: 'payments_transfer',
          description: 'Send money to a payee',
          parameters: {
            type: 'object',
            properties: { to: { type: 'string' }, amount: { type: 'number' } },
            required: ['to', 'amount'],
            additionalProperties: false,
          },
          parse: JSON.parse,
          function: (args: { to: string; amount: number }) => ({ sent: args.amount, to: args.to }),
        },
      },
    ],
    // OpenAI tool names cannot contain dots; Writ actions usually do.
    { actionName: { payments_transfer: 'payments.transfer' } },
  )

  const client = new OpenAI({ apiKey: 'sk-test', baseURL: server.baseURL, maxRetries: 0 })
  const runner = client.chat.completions.runTools({
    model: 'gpt-4.1-mini',
    messages: [{ role: 'user', content: 'Pay alice 250.' }],
    tools,
  })
  expect(await runner.finalContent()).toBe('Paid alice 250.')
  const output = runner.messages.find((message) => message.role === 'tool')
  expect(JSON.parse(String(output?.content))).toEqual({ sent: 250, to: 'alice' })
})
