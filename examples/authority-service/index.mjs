// Deployment shape 2, in one file and offline: an authority service holds the signing
// key and the policy; the agent holds only a bearer token and asks it for decisions;
// a receiving service trusts nothing but the authority's published public keys.
import { randomBytes } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  compilePolicy,
  createGate,
  createRemoteGate,
  generateSigningKey,
  refusalOf,
} from '@writ/core'
import { hashToken, startAuthorityServer } from '@writ/server'
import { createSqliteStore } from '@writ/store-sqlite'
import { createKeySet, createMemoryReplayCache, verifyPermit } from '@writ/verify'

// --- The authority (its own process and host in production: `writ serve`) ---------
const policy = compilePolicy(
  `
writ: 1
id: treasury
rules:
  - id: small-transfers
    effect: permit
    actions: [payments.transfer]
    when: args.amount > 0 && args.amount <= 1000 && context.team == 'treasury'
  - id: sanctioned-payees
    effect: deny
    actions: [payments.*]
    when: args.to == 'mallory-holdings'
    reason: SANCTIONED_PAYEE
`,
  { source: 'treasury.yaml' },
)
const botToken = `writ_${randomBytes(24).toString('base64url')}`
const store = createSqliteStore({
  path: join(mkdtempSync(join(tmpdir(), 'writ-authority-')), 'authority.db'),
})
const authority = await startAuthorityServer({
  gate: createGate({
    policy,
    keys: generateSigningKey(),
    issuer: 'https://authority.example',
    store,
    chainId: 'authority-1',
  }),
  // The operator vouches for who the agent is and for its facts; the agent cannot.
  agents: [
    {
      agent: 'agent:treasury-bot',
      tokenSha256: hashToken(botToken),
      context: { team: 'treasury' },
    },
  ],
  port: 0,
})
console.log(`authority listening on ${authority.url}`)

// --- The agent: a token, no key. Every adapter accepts this gate. -------------------
const published = await (await fetch(`${authority.url}/.well-known/writ/keys.json`)).json()
const gate = createRemoteGate({ url: authority.url, token: botToken, keys: published })

// --- A receiving service: the bank verifies with the published keys alone. ---------
const keys = createKeySet(published)
const replay = createMemoryReplayCache()
const bank = { transfers: [] }
async function bankTransfer(receipt, args) {
  await verifyPermit(receipt, keys, { action: 'payments.transfer', args, replay })
  bank.transfers.push(args)
}

for (const args of [
  { to: 'acme-supplies', amount: 250 },
  { to: 'mallory-holdings', amount: 10 },
  { to: 'acme-supplies', amount: 5000 },
]) {
  try {
    await gate.guard({ action: 'payments.transfer', args }, (bound, permit) =>
      bankTransfer(permit.receipt, bound),
    )
    console.log(`PERMIT  ${JSON.stringify(args)} → the bank executed it`)
  } catch (error) {
    const refusal = refusalOf(error)
    if (!refusal) throw error
    console.log(
      `${refusal.decision.padEnd(7)} ${JSON.stringify(args)} → ${refusal.reason}, nothing ran`,
    )
  }
}

// The identity and the facts come from the token, never from the agent's request.
const spoofed = await gate
  .authorize({
    action: 'payments.transfer',
    args: { to: 'acme-supplies', amount: 1 },
    context: { team: 'treasury' },
  })
  .catch((error) => error)
console.log(`an agent that sends its own context is refused: ${spoofed.code}`)

// A forged or mismatched permit never reaches the bank's ledger.
const permit = await gate.authorize({
  action: 'payments.transfer',
  args: { to: 'acme-supplies', amount: 40 },
})
const swapped = await bankTransfer(permit.receipt, { to: 'acme-supplies', amount: 4000 }).catch(
  (error) => error,
)
console.log(`the same permit with the amount swapped is refused by the bank: ${swapped.code}`)

console.log(`bank ledger: ${JSON.stringify(bank.transfers)}`)
const ok =
  bank.transfers.length === 1 &&
  spoofed.code === 'CONTEXT_NOT_ACCEPTED' &&
  swapped.code === 'ARGS_MISMATCH'
console.log(
  ok
    ? 'OK: only the permitted transfer ran, verified with the public keys alone.'
    : 'UNEXPECTED OUTCOME',
)
await authority.close()
await store.close()
process.exitCode = ok ? 0 : 1
