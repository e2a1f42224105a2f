// Installed from packed tarballs: decide, sign, store durably in SQLite, verify with
// the public keys alone, and audit the chain against a checkpoint.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { compilePolicy, createGate, generateSigningKey, refusalOf } from '@writ/core'
import { createSqliteStore } from '@writ/store-sqlite'
import {
  createKeySet,
  createMemoryReplayCache,
  verifyChain,
  verifyPermit,
  verifyReceipt,
} from '@writ/verify'

const store = createSqliteStore({
  path: join(mkdtempSync(join(tmpdir(), 'writ-packed-db-')), 'receipts.db'),
})
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
  store,
})

const executed = []
const permit = await gate.guard(
  { action: 'payments.transfer', args: { to: 'acme', amount: 250 } },
  (args, decision) => {
    executed.push(args)
    return decision
  },
)
let refused
try {
  await gate.guard({ action: 'payments.transfer', args: { to: 'acme', amount: 5000 } }, (args) =>
    executed.push(args),
  )
} catch (error) {
  refused = refusalOf(error)
  if (!refused) throw error
}
const denied = await gate.authorize({
  action: 'payments.transfer',
  args: '{"to":"acme","amount":1,"amount":2}',
})

const keys = createKeySet(await gate.keys())
const verified = await verifyReceipt(permit.receipt, keys)
const replay = createMemoryReplayCache()
await verifyPermit(permit.receipt, keys, {
  action: 'payments.transfer',
  args: { to: 'acme', amount: 250 },
  replay,
})
let replayCode = null
try {
  await verifyPermit(permit.receipt, keys, {
    action: 'payments.transfer',
    args: { to: 'acme', amount: 250 },
    replay,
  })
} catch (error) {
  replayCode = error.code
}
let swapCode = null
try {
  await verifyPermit(permit.receipt, keys, {
    action: 'payments.transfer',
    args: { to: 'acme', amount: 9000 },
  })
} catch (error) {
  swapCode = error.code
}

const tokens = []
for await (const stored of store.receipts(gate.chainId)) tokens.push(stored.token)
const checkpoint = await gate.checkpoint()
const chain = await verifyChain(tokens, keys, { checkpoints: [checkpoint.token] })
const truncated = await verifyChain(tokens.slice(0, -1), keys, { checkpoints: [checkpoint.token] })
await store.close()

console.log(
  JSON.stringify({
    executed,
    permit: verified.claims.decision,
    refused: [refused.decision, refused.reason],
    invalid: [denied.decision, denied.reason],
    replayCode,
    swapCode,
    chain: { valid: chain.valid, size: chain.size },
    truncated: truncated.valid ? 'undetected' : truncated.code,
  }),
)
