// Approvals, end to end and offline: a payment above 10 000 EUR is held; a signed webhook
// tells the finance group's chat bot; Alice approves with her own key; the agent asks
// again and gets a PERMIT that names her approval. A second payment is rejected by Bob
// and stays refused. Everything runs on 127.0.0.1.
//
//   npm run build && npm start -w @writ/example-approvals
import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import {
  approvalClaimsFor,
  compilePolicy,
  createApprovalWebhook,
  createGate,
  generateSigningKey,
  generateWebhookKeyPair,
  parseApprovers,
  signApproval,
} from '@writ/core'
import { approvalDigest, verifyApproval, verifyReceipt, verifyWebhook } from '@writ/verify'

const quiet = process.argv.includes('--quiet')
const log = (...parts) => {
  if (!quiet) console.log(...parts)
}

// 1. Approvers: each holds their own Ed25519 key (`writ approver keygen`); the authority
// knows only the public halves, and which group each approver belongs to.
const alice = generateSigningKey()
const bob = generateSigningKey()
const publicOf = (key) => ({ kty: 'OKP', crv: 'Ed25519', x: key.x, kid: key.kid })
const approvers = parseApprovers({
  groups: { finance: ['alice', 'bob'] },
  approvers: [
    { id: 'alice', name: 'Alice Martin', keys: [publicOf(alice)] },
    { id: 'bob', name: 'Bob Chen', keys: [publicOf(bob)] },
  ],
})

// 2. The finance chat bot: it trusts only Writ's webhook public key, and verifies every
// delivery (signature, timestamp) before it shows anything to people.
const webhookKeys = generateWebhookKeyPair()
const notices = []
let notified
const bot = createServer((request, response) => {
  const chunks = []
  request.on('data', (chunk) => chunks.push(chunk))
  request.on('end', async () => {
    try {
      const delivery = await verifyWebhook(request.headers, Buffer.concat(chunks), {
        publicKeys: [webhookKeys.publicKey],
      })
      notices.push(delivery.payload.data)
      response.writeHead(204).end()
      notified?.()
    } catch (error) {
      response.writeHead(400).end(error.code)
    }
  })
})
await new Promise((resolve) => bot.listen(0, '127.0.0.1', resolve))
const webhook = createApprovalWebhook({
  url: `http://127.0.0.1:${bot.address().port}/writ`,
  signingKeys: [webhookKeys.secretKey],
})

// 3. The authority: transfers up to 10 000 EUR run; above that they wait for finance.
const gate = createGate({
  policy: compilePolicy(`
writ: 1
id: payments-with-approvals
rules:
  - id: small-transfers
    effect: permit
    actions: [payments.transfer]
    when: args.amount > 0 && args.amount <= 10000
  - id: large-transfers-need-finance
    effect: approve
    actions: [payments.transfer]
    when: args.amount > 10000
    approvers: finance
    ttl: 15m
    description: Transfers above 10 000 EUR need a finance approver.
`),
  keys: generateSigningKey(),
  issuer: 'https://writ.example',
  approvers,
  onHold: webhook.notify,
})

const paid = []
const transfer = (amount) => ({
  action: 'payments.transfer',
  args: { to: 'atlas-freight', amount, currency: 'EUR' },
  agent: 'agent:accounts-payable',
})
// The payment runs only inside guard, only on a PERMIT for exactly these arguments.
const pay = (amount) =>
  gate.guard(transfer(amount), (args, decision) => {
    paid.push(args.amount)
    return decision
  })

// 4. The agent asks for 20 000 EUR: held. Nothing runs; the bot hears about it.
const arrived = new Promise((resolve) => {
  notified = resolve
})
const held = await pay(20_000).catch((error) => error)
// A held call is refused (nothing ran) and says which hold to wait for.
assert.equal(held.decision.reason, 'APPROVAL_REQUIRED')
const holdId = held.decision.hold.id
await arrived
log(
  `held: ${held.decision.decision} ${held.decision.reason}, hold ${holdId} for ${held.decision.hold.group}`,
)
log(
  `the bot verified the webhook: hold ${notices[0].hold}, ${notices[0].args.amount} EUR, group ${notices[0].group}`,
)
assert.equal(notices[0].hold, holdId)

// 5. Alice approves: her key signs claims bound to this hold, action, arguments and agent.
const view = await gate.holds.get(holdId)
const [, payload] = view.receipt.split('.')
const holdClaims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
const approval = signApproval(
  approvalClaimsFor(holdClaims, 'alice', 'approve', { note: 'PO 4471' }),
  alice,
)
const afterApproval = await gate.holds.submit(approval, { hold: holdId })
log(`after Alice's approval the hold is ${afterApproval.state}`)

// 6. The agent asks again with the same call: PERMIT, naming Alice's approval; it runs.
const permit = await pay(20_000)
assert.equal(permit.decision, 'PERMIT')
const verified = await verifyReceipt(permit.receipt, await gate.keys())
assert.equal(verified.claims.appr[0].digest, approvalDigest(approval))
const checked = await verifyApproval(approval, { approver: (id) => approvers.keysOf(id) })
log(
  `PERMIT ${verified.claims.jti} names the approval by ${verified.claims.appr[0].by}; approval verified: ${checked.claims.verdict} of hold ${checked.claims.hold}`,
)

// 7. A second large payment: Bob rejects it, and it stays refused.
const second = await pay(15_000).catch((error) => error)
const secondView = await gate.holds.get(second.decision.hold.id)
const secondClaims = JSON.parse(
  Buffer.from(secondView.receipt.split('.')[1], 'base64url').toString('utf8'),
)
await gate.holds.submit(signApproval(approvalClaimsFor(secondClaims, 'bob', 'reject'), bob))
const refused = await gate.authorize(transfer(15_000))
log(`after Bob's rejection: ${refused.decision} ${refused.reason}`)
assert.equal(refused.reason, 'APPROVAL_REJECTED')

await webhook.close()
bot.close()
assert.deepEqual(paid, [20_000])
console.log(
  'OK: the held payment ran only on a PERMIT naming Alice’s approval; the rejected one stays refused.',
)
