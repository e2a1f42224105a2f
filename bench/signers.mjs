// Keys outside the process: the same decisions signed by a key in memory, by an
// asynchronous signer over a key in memory (what the signing lane itself costs), and by
// an Ed25519 key in a SoftHSM2 token through @writ/signer-pkcs11 (a child process, one
// PKCS#11 C_Sign per receipt). Single caller on the in-memory store, and 64 callers on
// SQLite with group commit; plus the token's bare sign() round trip as its floor.
// Needs softhsm2 (Debian package); the token is made in a temporary folder and deleted.

import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { compilePolicy, createGate, generateSigningKey } from '@writ/core'
import { createTestAsyncSigner } from '@writ/core/testing'
import { generatePkcs11Key, openPkcs11Signer } from '@writ/signer-pkcs11'
import { createSqliteStore } from '@writ/store-sqlite'
import { runCases, smoke, table, writeResults } from './harness.mjs'

const policy = compilePolicy(
  `writ: 1
id: bench-payments
rules:
  - id: small-transfers
    effect: permit
    actions: [payments.transfer]
    when: args.amount <= 1000
`,
  { source: 'bench.yaml' },
)
const request = {
  action: 'payments.transfer',
  args: { to: 'acme', amount: 250, currency: 'EUR' },
  agent: 'bench-agent',
}

/** A throwaway SoftHSM2 token with one Ed25519 key; SOFTHSM2_CONF points at it. */
async function softhsmToken(dir) {
  const tokenDir = join(dir, 'tokens')
  mkdirSync(tokenDir)
  const conf = join(dir, 'softhsm2.conf')
  writeFileSync(conf, `directories.tokendir = ${tokenDir}\nobjectstore.backend = file\n`)
  process.env.SOFTHSM2_CONF = conf
  const pin = randomBytes(8).toString('hex')
  process.env.WRIT_BENCH_PKCS11_PIN = pin
  execFileSync('softhsm2-util', [
    '--init-token',
    '--free',
    '--label',
    'writ-bench',
    '--so-pin',
    randomBytes(8).toString('hex'),
    '--pin',
    pin,
  ])
  const location = {
    module: '/usr/lib/softhsm/libsofthsm2.so',
    token: 'writ-bench',
    key: 'receipts',
    pin: { env: 'WRIT_BENCH_PKCS11_PIN' },
  }
  await generatePkcs11Key(location)
  return openPkcs11Signer(location)
}

const dir = mkdtempSync(join(tmpdir(), 'writ-bench-signers-'))
const hsm = await softhsmToken(dir)
const signers = {
  local: { label: 'key in memory', keys: generateSigningKey() },
  async: { label: 'async signer, key in memory', keys: createTestAsyncSigner() },
  softhsm: { label: 'SoftHSM2 token (PKCS#11)', keys: hsm },
}

const stores = []
function gatesFor(name, keys) {
  const group = createSqliteStore({ path: join(dir, `${name}.db`), groupCommit: true })
  stores.push(group)
  return {
    memory: createGate({ policy, keys, issuer: 'bench', timeoutMs: 30_000 }),
    group: createGate({ policy, keys, issuer: 'bench', store: group, timeoutMs: 30_000 }),
  }
}
const gates = Object.fromEntries(
  Object.entries(signers).map(([name, signer]) => [name, gatesFor(name, signer.keys)]),
)
for (const pair of Object.values(gates)) {
  for (const gate of Object.values(pair)) {
    const decision = await gate.authorize(request)
    if (decision.decision !== 'PERMIT') throw new Error(`expected PERMIT, got ${decision.decision}`)
  }
}

// Group commit that waits 2 ms for company: the token signs the next receipts while the
// batch waits, so one fsync carries several of them.
const delayedStore = createSqliteStore({
  path: join(dir, 'softhsm-delayed.db'),
  groupCommit: { maxDelayMs: 2 },
})
const delayedGate = createGate({
  policy,
  keys: hsm,
  issuer: 'bench',
  store: delayedStore,
  timeoutMs: 30_000,
})

const message = Buffer.from(
  (await gates.local.memory.authorize(request)).receipt.split('.').slice(0, 2).join('.'),
)
const names = {
  hsmSign: 'baseline: SoftHSM2 sign() alone (IPC + C_Sign)',
  hsmDelayed: 'authorize, SQLite group commit maxDelayMs 2, 64 callers, SoftHSM2 token',
  ...Object.fromEntries(
    Object.entries(signers).flatMap(([name, signer]) => [
      [`${name}Memory`, `authorize, memory store, ${signer.label}`],
      [`${name}Group`, `authorize, SQLite group commit, 64 callers, ${signer.label}`],
    ]),
  ),
}
const rows = await runCases(
  [
    { name: names.hsmSign, run: () => hsm.sign(message) },
    ...Object.keys(signers).flatMap((name) => [
      { name: names[`${name}Memory`], run: () => gates[name].memory.authorize(request) },
      {
        name: names[`${name}Group`],
        run: () => gates[name].group.authorize(request),
        concurrency: 64,
      },
    ]),
    { name: names.hsmDelayed, run: () => delayedGate.authorize(request), concurrency: 64 },
  ],
  { rounds: smoke ? 2 : 5 },
)

const groupStats = Object.fromEntries(
  Object.keys(signers).map((name, index) => [name, stores[index].stats()]),
)
groupStats.softhsmDelayed = delayedStore.stats()
for (const store of [...stores, delayedStore]) await store.close()
await hsm.close()
rmSync(dir, { recursive: true, force: true })

console.log(table(rows, names.localMemory))
const file = writeResults('signers', {
  rows,
  groupCommit: Object.fromEntries(
    Object.entries(groupStats).map(([name, stats]) => [
      name,
      { batches: stats.batches, appends: stats.appends, largestBatch: stats.largestBatch },
    ]),
  ),
})
console.log(`results: ${file}`)
