// A LangChain agent whose every tool call is decided by Writ before it runs.
// Offline: the "model" is LangChain's own fake chat model, scripted to propose one
// transfer the policy permits and one it denies. Run `npm run build` at the repo root
// first (this example imports the published packages), then `npm start`.
import assert from 'node:assert/strict'
import { AIMessage, HumanMessage, ToolMessage } from '@langchain/core/messages'
import { fakeModel } from '@langchain/core/testing'
import { tool } from '@langchain/core/tools'
import { compilePolicy, createGate, createMemoryStore, generateSigningKey } from '@writ/core'
import { writMiddleware } from '@writ/langchain'
import { createKeySet, verifyReceipt } from '@writ/verify'
import { createAgent } from 'langchain'
import { z } from 'zod'

const quiet = process.argv.includes('--quiet')
const say = (...parts) => {
  if (!quiet) console.log(...parts)
}

// 1. The policy: small transfers are fine, a sanctioned payee never is.
const policy = compilePolicy(
  `
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
`,
  { source: 'payments.yaml' },
)

// 2. An embedded gate: policy, signing key and an in-memory receipt chain.
const gate = createGate({
  policy,
  keys: generateSigningKey(),
  issuer: 'https://writ.example',
  store: createMemoryStore(),
  defaultAgent: 'example-agent',
})

// 3. An ordinary LangChain tool. It knows nothing about Writ.
const executed = []
const transfer = tool(
  async ({ to, amount }) => {
    executed.push({ to, amount })
    return `Sent ${amount} to ${to}.`
  },
  {
    name: 'payments.transfer',
    description: 'Transfer money to a payee.',
    schema: z.object({ to: z.string(), amount: z.number() }),
  },
)

// 4. A scripted model: one turn proposing two transfers, then a final answer.
const model = fakeModel()
  .respondWithTools([
    { id: 'call_rent', name: 'payments.transfer', args: { to: 'alice', amount: 250 } },
    { id: 'call_bad', name: 'payments.transfer', args: { to: 'mallory', amount: 10 } },
  ])
  .respond(new AIMessage('One transfer went through; the other was refused.'))

// 5. The agent. Writ's middleware goes LAST, so nothing can rewrite a call after it.
const agent = createAgent({ model, tools: [transfer], middleware: [writMiddleware(gate)] })
const state = await agent.invoke({
  messages: [new HumanMessage('Pay rent to alice and 10 to mallory.')],
})

// Anyone holding the public keys can check a refusal's receipt; no private key needed.
const keySet = createKeySet(await gate.keys())
const refusals = []
for (const message of state.messages) {
  if (!ToolMessage.isInstance(message)) continue
  if (message.status === 'error') {
    const refusal = JSON.parse(message.content)
    const verified = await verifyReceipt(refusal.receipt, keySet)
    refusals.push(verified.claims)
    say(`REFUSED ${message.tool_call_id}: ${refusal.decision} ${refusal.reason}`)
    say(`        receipt ${refusal.receipt_id}, signature verified`)
  } else {
    say(`PERMIT  ${message.tool_call_id}: ${message.content}`)
  }
}
say(`final answer: ${state.messages.at(-1).content}`)

// Every decision left a signed receipt in the chain; a checkpoint seals it.
const checkpoint = await gate.checkpoint()
say(`receipts in chain ${gate.chainId}: ${checkpoint.size}`)

assert.deepEqual(executed, [{ to: 'alice', amount: 250 }])
assert.equal(checkpoint.size, 2)
assert.deepEqual(
  refusals.map((claims) => [claims.decision, claims.reason]),
  [['DENY', 'SANCTIONED_PAYEE']],
)
