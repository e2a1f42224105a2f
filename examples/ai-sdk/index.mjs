// An AI SDK tool loop (`generateText` with several steps) whose every tool call is decided
// by Writ before it runs. Offline: the "model" is the AI SDK's own mock model, scripted
// to propose a transfer the policy permits, one it denies, and one it holds for a finance
// approver. Run `npm run build` at the repo root first (this example imports the built
// packages), then `npm start`.
import assert from 'node:assert/strict'
import { gateTools, writMiddleware } from '@writ/ai-sdk'
import {
  approvalClaimsFor,
  compilePolicy,
  createGate,
  createMemoryStore,
  generateSigningKey,
  parseApprovers,
  signApproval,
} from '@writ/core'
import { createKeySet, verifyReceipt } from '@writ/verify'
import { generateText, stepCountIs, tool, wrapLanguageModel } from 'ai'
import { MockLanguageModelV3 } from 'ai/test'
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

// 3. The real tool, gated: `execute` runs only on PERMIT, with the signed arguments.
//    A held call becomes the AI SDK's own tool approval request; `onHold` names the hold.
const sent = []
const holds = []
const tools = gateTools(
  gate,
  {
    transfer: tool({
      description: 'Transfer money to a payee.',
      inputSchema: z.object({ to: z.string(), amount: z.number() }),
      execute: async ({ to, amount }) => {
        sent.push({ to, amount })
        return { sent: amount, to }
      },
    }),
  },
  { actionName: { transfer: 'payments.transfer' }, onHold: (held) => holds.push(held) },
)

// 4. A scripted model: one transfer per step, then a final answer. The middleware shows
//    Writ the raw JSON text the model wrote for each call.
const turns = [
  [{ id: 'call_ok', input: '{"to":"acme","amount":250}' }],
  [{ id: 'call_bad', input: '{"to":"mallory","amount":10}' }],
  [{ id: 'call_big', input: '{"to":"acme","amount":5000}' }],
  'All done.',
]
let step = 0
const usage = {
  inputTokens: { total: 1, noCache: 1, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 1, text: 1, reasoning: undefined },
}
const mock = new MockLanguageModelV3({
  doGenerate: async () => {
    const turn = turns[Math.min(step++, turns.length - 1)]
    const content =
      typeof turn === 'string'
        ? [{ type: 'text', text: turn }]
        : turn.map((c) => ({
            type: 'tool-call',
            toolCallId: c.id,
            toolName: 'transfer',
            input: c.input,
          }))
    const unified = typeof turn === 'string' ? 'stop' : 'tool-calls'
    return { content, finishReason: { unified, raw: undefined }, usage, warnings: [] }
  },
})
const model = wrapLanguageModel({ model: mock, middleware: writMiddleware(tools) })

// 5. Run the loop. It stops at the held call: the SDK asks for approval.
const first = await generateText({
  model,
  tools,
  stopWhen: stepCountIs(6),
  prompt: 'Pay the bills.',
})
for (const step of first.steps) {
  for (const part of step.content) {
    if (part.type !== 'tool-result') continue
    const out = part.output
    if (out.writ === 'refused') say(`REFUSED ${part.toolCallId}: ${out.decision} ${out.reason}`)
    else say(`ran ${part.toolCallId}:`, out)
  }
}
const request = first.content.find((part) => part.type === 'tool-approval-request')
assert.ok(request, 'the large transfer waits for approval')
const keySet = createKeySet(await gate.keys())
const { claims: hold } = await verifyReceipt(holds[0].receipt, keySet)
say(`HELD ${request.toolCall.toolCallId}: ${hold.decision} ${hold.reason}, waiting for finance`)

// 6. Alice approves the hold with her own key; the app answers the SDK's approval request.
const approval = signApproval(approvalClaimsFor(hold, 'alice', 'approve'), aliceKey)
await gate.holds.submit(approval)
const second = await generateText({
  model,
  tools,
  stopWhen: stepCountIs(6),
  messages: [
    { role: 'user', content: 'Pay the bills.' },
    ...first.response.messages,
    {
      role: 'tool',
      content: [{ type: 'tool-approval-response', approvalId: request.approvalId, approved: true }],
    },
  ],
})
say(`after approval: ${second.text}`)

// 7. Only the permitted and the approved transfers ran; each refusal's receipt verifies.
assert.deepEqual(sent, [
  { to: 'acme', amount: 250 },
  { to: 'acme', amount: 5000 },
])
const denied = first.steps[1].content.find((part) => part.type === 'tool-result').output
const verified = await verifyReceipt(denied.receipt, keySet)
assert.equal(verified.claims.decision, 'DENY')
say('OK: only the permitted and the approved transfers ran; every decision has a signed receipt.')
