// Installed from packed tarballs: @writ/openai's hand-written loop helper on a
// constructed Chat Completions message (no network).
import { compilePolicy, createGate, generateSigningKey } from '@writ/core'
import { handleChatToolCalls } from '@writ/openai'

const gate = createGate({
  policy: compilePolicy(`
writ: 1
id: payments
rules:
  - id: small-transfers
    effect: permit
    actions: [payments_transfer]
    when: args.amount > 0 && args.amount <= 1000
`),
  keys: generateSigningKey(),
  issuer: 'https://authority.example',
})

const executed = []
const message = {
  role: 'assistant',
  content: null,
  tool_calls: [
    {
      id: 'call_1',
      type: 'function',
      function: { name: 'payments_transfer', arguments: '{"to":"alice","amount":250}' },
    },
    {
      id: 'call_2',
      type: 'function',
      function: { name: 'payments_transfer', arguments: '{"to":"bob","amount":5000}' },
    },
  ],
}
const results = await handleChatToolCalls(gate, message, {
  payments_transfer: (args) => {
    executed.push(args)
    return { status: 'sent' }
  },
})
const refusal = JSON.parse(results[1].content)
console.log(
  JSON.stringify({
    executed,
    ids: results.map((result) => result.tool_call_id),
    refusal: [refusal.decision, refusal.reason, typeof refusal.receipt],
  }),
)
