// Per-decision cost of Writ's gate, beside the floor: one bare node:crypto Ed25519
// signature. A signed decision cannot be cheaper than the signature it contains.
import { createPrivateKey, randomBytes, sign } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { compilePolicy, createGate, generateSigningKey } from '@writ/core'
import { createSqliteStore } from '@writ/store-sqlite'
import { runCases, table, writeResults } from './harness.mjs'

const smoke = process.argv.includes('--smoke')
const policy = compilePolicy(
  `writ: 1
id: bench-payments
rules:
  - id: small-transfers
    effect: permit
    actions: [payments.transfer]
    when: args.amount <= 1000 && args.currency in ['USD', 'EUR']
  - id: sanctioned
    effect: deny
    actions: [payments.*]
    when: args.to == 'mallory'
`,
  { source: 'bench.yaml' },
)
const args = { to: 'acme', amount: 250, currency: 'EUR', memo: 'invoice 2291' }

// The floor: what a bare signature over a receipt-sized message costs.
const seed = randomBytes(32)
const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed])
const privateKey = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })
const message = Buffer.from('x'.repeat(560))

const dir = mkdtempSync(join(tmpdir(), 'writ-bench-'))
const key = generateSigningKey()
const memoryGate = createGate({ policy, keys: key, issuer: 'bench' })
const sqliteStore = createSqliteStore({ path: join(dir, 'full.db') })
const sqliteGate = createGate({ policy, keys: key, issuer: 'bench', store: sqliteStore })
const groupStore = createSqliteStore({ path: join(dir, 'group.db'), groupCommit: true })
const groupGate = createGate({ policy, keys: key, issuer: 'bench', store: groupStore })

const request = { action: 'payments.transfer', args, agent: 'bench-agent' }
const opsPerRound = smoke ? 200 : 3000
const rows = await runCases(
  [
    { name: 'baseline: node:crypto Ed25519 sign', run: () => void sign(null, message, privateKey) },
    { name: 'authorize, memory store', run: () => memoryGate.authorize(request) },
    { name: 'authorize, SQLite (synchronous=FULL)', run: () => sqliteGate.authorize(request) },
    { name: 'authorize, memory store, 64 callers', run: () => memoryGate.authorize(request), concurrency: 64 },
    { name: 'authorize, SQLite group commit, 64 callers', run: () => groupGate.authorize(request), concurrency: 64 },
  ],
  { rounds: smoke ? 2 : 7, opsPerRound, warmup: smoke ? 50 : 500 },
)
await sqliteStore.close()
await groupStore.close()
rmSync(dir, { recursive: true, force: true })

const ratio = (a, b) => rows.find((r) => r.name === b).opsPerSecond.median / rows.find((r) => r.name === a).opsPerSecond.median
const targets = {
  memoryDecisionVsSignature: { measured: ratio('authorize, memory store', 'baseline: node:crypto Ed25519 sign'), target: '<= 1.5' },
  groupCommitVsMemoryAt64: {
    measured: 1 / ratio('authorize, SQLite group commit, 64 callers', 'authorize, memory store, 64 callers'),
    target: '>= 0.7',
  },
}
console.log(table(rows, 'baseline: node:crypto Ed25519 sign'))
console.log(`\nsigned in-memory decision costs ${targets.memoryDecisionVsSignature.measured.toFixed(2)}× a bare signature (target ≤ 1.5×)`)
console.log(`group commit at 64 callers reaches ${(targets.groupCommitVsMemoryAt64.measured * 100).toFixed(0)}% of in-memory throughput (target ≥ 70%)`)
const file = writeResults(smoke ? 'decisions-smoke' : 'decisions', { rows, targets })
console.log(`results: ${file}`)
