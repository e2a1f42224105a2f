// An OpenAI Agents SDK run whose every tool call is decided by Writ before it runs.
// Offline: the model provider below answers from a script, through the SDK's own `Model`
// interface, with one transfer the policy permits, one it denies and one it holds for a
// finance approver. The held run is saved as text and resumed after the approval.
// Needs Node 22 or newer. Run `npm run build` at the repo root first, then `npm start`.
import assert from 'node:assert/strict'
import { Agent, Runner, RunState, tool, Usage } from '@openai/agents'
import {
  approvalClaimsFor,
  compilePolicy,
  createGate,
  createMemoryStore,
  generateSigningKey,
  parseApprovers,
  signApproval,
} from '@writ/core'
import { gateTool } from '@writ/openai-agents'
import { createKeySet, verifyReceipt } from '@writ/verify'
import { z } from 'zod'

const quiet = process.argv.includes('--quiet')
const say = (...parts) => {
  if (!quiet) console.log(...parts)
}

// 1. The policy: small transfers run, large ones wait for finance, a sanctioned payee never runs.
const policy = compilePolicy(
  `
writ: 1
id: payments
rules:
  - id: small-transfers
    effect: permit
    actions: [payments.transfer]
    when: args.amount > 0 && args.amount <= 1000
  - id: large-transfers
    effect: approve
    actions: [payments.transfer]
    when: args.amount > 1000
    approvers: finance
  - id: no-sanctioned
    effect: deny
    actions: [payments.*]
    when: args.to == 'mallory'
    reason: SANCTIONED_PAYEE
`,
  { source: 'payments.yaml' },
)

// 2. An embedded gate with one approver, Alice, who signs approvals with her own key.
const aliceKey = generateSigningKey()
const alicePublic = { kty: 'OKP', crv: 'Ed25519', x: aliceKey.x, kid: aliceKey.kid }
const gate = createGate({
  policy,
  keys: generateSigningKey(),
  issuer: 'https://bank.example',
  store: createMemoryStore(),
  defaultAgent: 'teller-bot',
  approvers: parseApprovers({
    groups: { finance: ['alice'] },
    approvers: [{ id: 'alice', name: 'Alice', keys: [alicePublic] }],
  }),
})

// 3. The real tool, gated: it runs only on PERMIT, with the signed arguments. A held call
//    interrupts the run with the SDK's own tool approval item; `onHold` names the hold.
const sent = []
const holds = []
const transfer = tool({
  name: 'transfer',
  description: 'Transfer money to a payee.',
  parameters: z.object({ to: z.string(), amount: z.number() }),
  execute: async ({ to, amount }) => {
    sent.push({ to, amount })
    return `sent ${amount} to ${to}`
  },
})
const agent = new Agent({
  name: 'teller',
  instructions: 'Pay the bills.',
  tools: [
    gateTool(gate, transfer, {
      actionName: { transfer: 'payments.transfer' },
      onHold: (held) => holds.push(held),
    }),
  ],
})

// 4. A model provider over the SDK's Model interface: one function call per turn, then text.
const turns = [
  { callId: 'call_ok', arguments: '{"to":"acme","amount":250}' },
  { callId: 'call_bad', arguments: '{"to":"mallory","amount":10}' },
  { callId: 'call_big', arguments: '{"to":"acme","amount":5000}' },
  'All done.',
]
let turn = 0
const model = {
  async getResponse() {
    const next = turns[Math.min(turn++, turns.length - 1)]
    const output =
      typeof next === 'string'
        ? [
            {
              type: 'message',
              role: 'assistant',
              status: 'completed',
              content: [{ type: 'output_text', text: next }],
            },
          ]
        : [{ type: 'function_call', name: 'transfer', status: 'completed', ...next }]
    return { usage: new Usage(), output, responseId: `resp_${turn}` }
  },
  async *getStreamedResponse(request) {
    const { output, responseId } = await this.getResponse(request)
    const usage = { requests: 1, inputTokens: 0, outputTokens: 0, totalTokens: 0 }
    yield { type: 'response_done', response: { id: responseId, usage, output } }
  },
}
const runner = new Runner({ modelProvider: { getModel: () => model }, tracingDisabled: true })

// 5. Run. It stops at the held call; the run is saved as text while people decide.
const first = await runner.run(agent, 'Pay the bills.')
for (const item of first.newItems) {
  if (item.type !== 'tool_call_output_item') continue
  const output = String(item.output)
  const refusal = output.startsWith('{') ? JSON.parse(output) : undefined
  if (refusal?.writ === 'refused')
    say(`REFUSED ${item.rawItem.callId}: ${refusal.decision} ${refusal.reason}`)
  else say(`ran ${item.rawItem.callId}: ${output}`)
}
assert.equal(first.interruptions.length, 1, 'the large transfer waits for approval')
const saved = first.state.toString()
const keySet = createKeySet(await gate.keys())
const { claims: hold } = await verifyReceipt(holds[0].receipt, keySet)
say(`HELD ${holds[0].callId}: ${hold.decision} ${hold.reason}, waiting for finance`)

// 6. Alice approves the hold with her own key; the app approves the SDK's interruption
//    on the restored run and resumes it. The gate decides again and now permits it.
await gate.holds.submit(signApproval(approvalClaimsFor(hold, 'alice', 'approve'), aliceKey))
const state = await RunState.fromString(agent, saved)
for (const interruption of state.getInterruptions()) state.approve(interruption)
const second = await runner.run(agent, state)
say(`after approval: ${second.finalOutput}`)

// 7. Only the permitted and the approved transfers ran; each refusal's receipt verifies.
assert.deepEqual(sent, [
  { to: 'acme', amount: 250 },
  { to: 'acme', amount: 5000 },
])
const deniedItem = first.newItems.find(
  (item) => item.rawItem?.callId === 'call_bad' && item.type === 'tool_call_output_item',
)
const verified = await verifyReceipt(JSON.parse(String(deniedItem.output)).receipt, keySet)
assert.equal(verified.claims.decision, 'DENY')
say('OK: only the permitted and the approved transfers ran; every decision has a signed receipt.')
