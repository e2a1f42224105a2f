// docs/getting-started.md, steps 4 and 5, as written there: a key file made by
// `writ keygen`, a policy file, a SQLite store, a guarded action, and verification
// with the exported public key set. Run after the bin test wrote those files.
import { readFileSync } from 'node:fs'
import { createGate, loadPolicyFile, loadSigningKey, refusalOf } from '@writ/core'
import { createSqliteStore } from '@writ/store-sqlite'
import {
  createKeySet,
  createMemoryReplayCache,
  verifyChain,
  verifyPermit,
  verifyReceipt,
} from '@writ/verify'

const store = createSqliteStore({ path: 'getting-started.db' })
const gate = createGate({
  policy: await loadPolicyFile('policy.yaml'),
  keys: loadSigningKey({ file: 'authority.jwk' }),
  issuer: 'https://authority.example',
  store,
})

const modelArguments = '{"to":"acme","amount":250}'
const transfers = []
const permit = await gate.guard(
  { action: 'payments.transfer', args: modelArguments, agent: 'agent:treasury-bot' },
  (args, decision) => {
    transfers.push(args)
    return decision
  },
)
let refusal
try {
  await gate.guard({ action: 'payments.transfer', args: '{"to":"acme","amount":5000}' }, (args) =>
    transfers.push(args),
  )
} catch (error) {
  refusal = refusalOf(error)
  if (!refusal) throw error
}

const keys = createKeySet(readFileSync('keys.json', 'utf8'))
const { claims } = await verifyReceipt(permit.receipt, keys)
await verifyPermit(permit.receipt, keys, {
  action: 'payments.transfer',
  args: JSON.parse(modelArguments),
  replay: createMemoryReplayCache(),
})
const tokens = []
for await (const stored of store.receipts(gate.chainId)) tokens.push(stored.token)
const checkpoint = await gate.checkpoint()
const report = await verifyChain(tokens, keys, { checkpoints: [checkpoint.token] })
await store.close()

console.log(
  JSON.stringify({
    transfers,
    permit: [claims.decision, claims.sub],
    refusal: [refusal.decision, refusal.reason],
    chain: [gate.chainId, report.valid, report.size],
  }),
)
