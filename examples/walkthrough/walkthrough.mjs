// A tour of Writ in one file: an agent proposes actions, the gate decides before
// anything runs, every decision becomes a signed receipt in a chain, and a
// verifier holding only the public keys catches every kind of tampering.
import { mkdtempSync, readFileSync } from 'node:fs'
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

const color = process.stdout.isTTY && !process.env.NO_COLOR
const paint = (code, text) => (color ? `\u001b[${code}m${text}\u001b[0m` : text)
const badge = {
  PERMIT: paint('32;1', 'PERMIT '),
  DENY: paint('31;1', 'DENY   '),
  SILENCE: paint('33;1', 'SILENCE'),
}
const step = (title) => console.log(`\n${paint('1', title)}`)
const ok = (text) => console.log(`  ${paint('32', '✓')} ${text}`)
let failures = 0
const bad = (text) => {
  failures++
  console.log(`  ${paint('31', '✗')} ${text}`)
}

const policy = compilePolicy(readFileSync(new URL('./policy.yaml', import.meta.url), 'utf8'), {
  source: 'policy.yaml',
})
const dir = mkdtempSync(join(tmpdir(), 'writ-walkthrough-'))
const store = createSqliteStore({ path: join(dir, 'receipts.db') })
const gate = createGate({
  policy,
  keys: generateSigningKey(),
  issuer: 'https://authority.example',
  store,
  defaultAgent: 'agent:treasury-bot',
})
const keys = createKeySet(await gate.keys())

step(`1. The policy "${policy.id}" is version ${policy.digest.slice(0, 23)}…`)

step('2. The agent proposes four payments; the gate decides before any of them runs')
const proposals = [
  { to: 'acme-supplies', amount: 250, currency: 'EUR' },
  { to: 'acme-supplies', amount: 25_000, currency: 'EUR' },
  { to: 'mallory-holdings', amount: 10, currency: 'EUR' },
  '{"to":"acme-supplies","amount":10,"amount":90000}',
]
const paid = []
const decisions = []
for (const args of proposals) {
  let decision
  try {
    await gate.guard({ action: 'payments.transfer', args }, async (bound, permit) => {
      decision = permit
      paid.push(bound) // the real payment would run here, with exactly the signed arguments
    })
  } catch (error) {
    decision = refusalOf(error)
    if (!decision) throw error
  }
  decisions.push(decision)
  const shown = typeof args === 'string' ? args : JSON.stringify(args)
  console.log(
    `  ${badge[decision.decision]} ${shown.padEnd(52)} ${decision.reason}${decision.rule ? ` (rule ${decision.rule})` : ''}`,
  )
}
console.log(
  `  payments actually sent: ${paid.length} (${paid.map((p) => `${p.amount} to ${p.to}`).join(', ')})`,
)

step('3. Every decision, refusals included, left a signed receipt in one chain')
const tokens = []
for await (const stored of store.receipts(gate.chainId)) tokens.push(stored.token)
const checkpoint = await gate.checkpoint()
const report = await verifyChain(tokens, keys, { checkpoints: [checkpoint.token] })
report.valid
  ? ok(`${report.size} receipts, contiguous, head matches the signed checkpoint`)
  : bad(`chain broken: ${report.code}`)

step('4. A receiving service executes only on a PERMIT bound to exactly this request')
const permit = decisions[0]
const replay = createMemoryReplayCache()
const tryExecute = async (label, token, args, expected) => {
  try {
    await verifyPermit(token, keys, { action: 'payments.transfer', args, replay })
    expected === 'accepted'
      ? ok(`${label}: accepted`)
      : bad(`${label}: accepted, but should have been refused`)
  } catch (error) {
    error.code === expected
      ? ok(`${label}: refused with ${paint('1', error.code)}`)
      : bad(`${label}: refused with ${error.code}, expected ${expected}`)
  }
}
await tryExecute('the permitted transfer', permit.receipt, proposals[0], 'accepted')
await tryExecute('the same receipt again (replay)', permit.receipt, proposals[0], 'REPLAYED')
await tryExecute(
  'the permit with the amount changed after the decision',
  permit.receipt,
  { ...proposals[0], amount: 9000 },
  'ARGS_MISMATCH',
)
await tryExecute(
  'a DENY receipt presented as authority',
  decisions[2].receipt,
  proposals[2],
  'NOT_PERMIT',
)

step('5. Tampering with the evidence is detected, with the first bad position')
const flip = (token) => {
  const [header, claims, signature] = token.split('.')
  const decoded = JSON.parse(Buffer.from(claims, 'base64url').toString())
  decoded.decision = 'PERMIT'
  return [header, Buffer.from(JSON.stringify(decoded)).toString('base64url'), signature].join('.')
}
const attacks = {
  'edit a DENY into a PERMIT': tokens.map((token, index) => (index === 2 ? flip(token) : token)),
  'delete a receipt': tokens.filter((_, index) => index !== 1),
  'swap two receipts': [tokens[0], tokens[2], tokens[1], ...tokens.slice(3)],
  'truncate the tail': tokens.slice(0, -2),
}
for (const [label, forged] of Object.entries(attacks)) {
  const result = await verifyChain(forged, keys, { checkpoints: [checkpoint.token] })
  result.valid
    ? bad(`${label}: NOT detected`)
    : ok(`${label}: detected as ${paint('1', result.code)} at seq ${result.seq}`)
}
try {
  await verifyReceipt(flip(decisions[1].receipt), keys)
  bad('a single forged receipt verified')
} catch (error) {
  ok(`a single forged receipt fails on its own: ${paint('1', error.code)}`)
}

await store.close()
if (failures > 0) {
  console.log(`\n${failures} check(s) did not behave as expected`)
  process.exitCode = 1
}
console.log(
  `\nReceipts are in ${join(dir, 'receipts.db')}. Next: examples/ and docs/getting-started.md.`,
)
