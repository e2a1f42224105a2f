// Writ + the official openai SDK, offline.
//
// A tiny local stand-in for the Chat Completions API scripts a model that asks for
// two payments in one turn: 250 to alice (the policy permits it) and 40 to mallory
// (a sanctioned payee: denied). The real `openai` client runs its tool loop
// (`runTools`) with tools gated by Writ. Only the permitted payment runs; the model
// reads a signed refusal for the other one.
//
//   npm run build && npm start -w examples/openai
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import { compilePolicy, createGate, generateSigningKey } from '@writ/core'
import { gateRunnableTools } from '@writ/openai'
import OpenAI from 'openai'

const quiet = process.argv.includes('--quiet')
const say = (...parts) => {
  if (!quiet) console.log(...parts)
}

// 1. The gate: a policy, a signing key, an in-memory store (the default).
const gate = createGate({
  policy: compilePolicy(`
writ: 1
id: payments
rules:
  - id: small-transfers
    effect: permit
    actions: [payments.transfer]
    when: args.amount > 0 && args.amount <= 1000
  - id: no-sanctioned
    effect: deny
    actions: [payments.*]
    when: args.to == 'mallory'
    reason: SANCTIONED_PAYEE
`),
  keys: generateSigningKey(),
  issuer: 'https://authority.example',
  defaultAgent: 'billing-bot',
})

// 2. A fake model: turn 1 asks for two transfers, turn 2 reports what the tools said.
const server = createServer(async (request, response) => {
  let text = ''
  for await (const chunk of request) text += chunk
  const body = JSON.parse(text)
  const toolMessages = body.messages.filter((message) => message.role === 'tool')
  const message =
    toolMessages.length === 0
      ? {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_alice',
              type: 'function',
              function: { name: 'payments_transfer', arguments: '{"to":"alice","amount":250}' },
            },
            {
              id: 'call_mallory',
              type: 'function',
              function: { name: 'payments_transfer', arguments: '{"to":"mallory","amount":40}' },
            },
          ],
        }
      : { role: 'assistant', content: `I got ${toolMessages.length} tool results.` }
  response.writeHead(200, { 'content-type': 'application/json' })
  response.end(
    JSON.stringify({
      id: 'chatcmpl-example',
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: body.model,
      choices: [
        {
          index: 0,
          message,
          logprobs: null,
          finish_reason: message.tool_calls ? 'tool_calls' : 'stop',
        },
      ],
    }),
  )
})
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
const client = new OpenAI({
  apiKey: 'sk-offline',
  baseURL: `http://127.0.0.1:${server.address().port}/v1`,
  maxRetries: 0,
})

// 3. The tool, exactly as you would write it for runTools, then gated.
const payments = []
const transfer = {
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
    // Runs only on PERMIT, with the frozen arguments the receipt binds.
    function: (args, _runner, decision) => {
      payments.push(args)
      return { status: 'sent', to: args.to, amount: args.amount, receipt_id: decision.claims.jti }
    },
  },
}
const tools = gateRunnableTools(gate, [transfer], {
  // OpenAI tool names cannot contain dots; Writ actions usually do.
  actionName: { payments_transfer: 'payments.transfer' },
})

try {
  const runner = client.chat.completions.runTools({
    model: 'gpt-4.1-mini',
    messages: [{ role: 'user', content: 'Pay alice 250 and mallory 40.' }],
    tools,
  })
  const final = await runner.finalContent()

  say('Tool outputs the model read:')
  const outputs = runner.messages.filter((message) => message.role === 'tool')
  for (const output of outputs) say(`  ${output.tool_call_id}: ${output.content.slice(0, 160)}…`)
  say(`Model: ${final}`)
  say(`Payments actually made: ${JSON.stringify(payments)}`)

  const refusal = JSON.parse(
    outputs.find((output) => output.tool_call_id === 'call_mallory').content,
  )
  say(`Refused: ${refusal.decision} ${refusal.reason}, receipt ${refusal.receipt_id}`)

  // The example is its own test: CI runs it with --quiet. (The permitted arguments are
  // frozen objects without a prototype, so compare their JSON.)
  assert.deepEqual(JSON.parse(JSON.stringify(payments)), [{ to: 'alice', amount: 250 }])
  assert.equal(refusal.writ, 'refused')
  assert.equal(refusal.decision, 'DENY')
  assert.equal(refusal.reason, 'SANCTIONED_PAYEE')
  assert.equal(typeof refusal.receipt, 'string')
  say('OK: only the permitted payment ran; every decision has a signed receipt.')
} finally {
  server.closeAllConnections()
  server.close()
}
