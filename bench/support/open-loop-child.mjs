// One open-loop run in a process of its own, so that it inherits neither the heap nor the
// garbage of the benchmarks that ran before it (bench/decisions.mjs starts it).
//
//   node [v8 flags] bench/support/open-loop-child.mjs <harness|memory|sqlite-group> <rate> <durationMs>
//
// Builds the same gate as bench/decisions.mjs, warms it up, checks that it permits, runs
// the open loop (bench/harness.mjs) and prints its result as one JSON line.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { compilePolicy, createGate, generateSigningKey } from '@writ/core'
import { createSqliteStore } from '@writ/store-sqlite'
import { openLoop } from '../harness.mjs'

const [kind, rate, durationMs] = process.argv.slice(2)
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
const request = {
  action: 'payments.transfer',
  args: { to: 'acme', amount: 250, currency: 'EUR', memo: 'invoice 2291' },
  agent: 'bench-agent',
}
const dir = mkdtempSync(join(tmpdir(), 'writ-open-loop-'))
const store =
  kind === 'sqlite-group'
    ? createSqliteStore({ path: join(dir, 'group.db'), groupCommit: true })
    : undefined
if (!['harness', 'memory', 'sqlite-group'].includes(kind)) throw new Error(`unknown kind ${kind}`)
const gate = createGate({
  policy,
  keys: generateSigningKey(),
  issuer: 'bench',
  ...(store ? { store } : {}),
})
const decision = await gate.authorize(request)
if (decision.decision !== 'PERMIT') throw new Error(`expected PERMIT, got ${decision.decision}`)
const run = kind === 'harness' ? async () => {} : () => gate.authorize(request)
// Warm-up: the code optimized and the store's memory in use, as in a gate that has run a while.
await openLoop(run, {
  callers: 64,
  rate: Number(rate),
  durationMs: Math.min(1000, Number(durationMs)),
})
const result = await openLoop(run, {
  callers: 64,
  rate: Number(rate),
  durationMs: Number(durationMs),
})
await store?.close()
rmSync(dir, { recursive: true, force: true })
process.stdout.write(`${JSON.stringify(result)}\n`)
