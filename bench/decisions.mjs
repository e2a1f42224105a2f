// Per-decision cost of Writ's gate, in one process, beside its baselines:
// - the floor: one bare node:crypto Ed25519 signature over a receipt-sized message (a
//   signed decision cannot be cheaper than the signature it contains);
// - the bare tool call with no gate at all;
// - the alternative a team would assemble: the same policy in Cedar (`isAuthorized`, and
//   the preparsed `statefulIsAuthorized`) plus one node:crypto signature;
// - the disk's floor for durability: one small write + fdatasync.
// Then durable decisions on SQLite (synchronous=FULL, one caller) and with group commit
// (64 concurrent callers), and an open-loop latency run at a fixed offered load.

import { spawnSync } from 'node:child_process'
import { createPrivateKey, randomBytes, sign } from 'node:crypto'
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import * as cedar from '@cedar-policy/cedar-wasm/nodejs'
import { createGate, generateSigningKey } from '@writ/core'
import { createSqliteStore } from '@writ/store-sqlite'
import { roundRatio, runCases, smoke, table, target, writeResults } from './harness.mjs'
import { BENCH_ARGS, BENCH_REQUEST, benchPolicy } from './support/bench-policy.mjs'

const policy = benchPolicy()
const args = BENCH_ARGS
const request = BENCH_REQUEST

// The same policy in Cedar. `payments.*` becomes an action group.
const cedarPolicies = `permit(principal, action == Action::"payments.transfer", resource)
  when { context.args.amount <= 1000 && ["USD", "EUR"].contains(context.args.currency) };
forbid(principal, action in Action::"payments", resource) when { context.args.to == "mallory" };`
const cedarEntities = [
  {
    uid: { type: 'Action', id: 'payments.transfer' },
    attrs: {},
    parents: [{ type: 'Action', id: 'payments' }],
  },
  { uid: { type: 'Action', id: 'payments' }, attrs: {}, parents: [] },
]
const cedarRequest = {
  principal: { type: 'Agent', id: 'bench-agent' },
  action: { type: 'Action', id: 'payments.transfer' },
  resource: { type: 'Tool', id: 'payments.transfer' },
  context: { args },
}
cedar.preparsePolicySet('bench', { staticPolicies: cedarPolicies })

const seed = randomBytes(32)
const privateKey = createPrivateKey({
  key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
  format: 'der',
  type: 'pkcs8',
})

const dir = mkdtempSync(join(tmpdir(), 'writ-bench-'))
const key = generateSigningKey()
const memoryGate = createGate({ policy, keys: key, issuer: 'bench' })
const sqliteStore = createSqliteStore({ path: join(dir, 'full.db') })
const sqliteGate = createGate({ policy, keys: key, issuer: 'bench', store: sqliteStore })
const groupStore = createSqliteStore({ path: join(dir, 'group.db'), groupCommit: true })
const groupGate = createGate({ policy, keys: key, issuer: 'bench', store: groupStore })

// A real receipt's signing input, so the floor signs what the gate signs.
const sample = await memoryGate.authorize(request)
if (sample.decision !== 'PERMIT')
  throw new Error(`expected PERMIT, got ${sample.decision} ${sample.reason}`)
const signingInput = Buffer.from(sample.receipt.slice(0, sample.receipt.lastIndexOf('.')), 'ascii')
for (const gate of [sqliteGate, groupGate]) {
  const decision = await gate.authorize(request)
  if (decision.decision !== 'PERMIT') throw new Error(`expected PERMIT, got ${decision.decision}`)
}
for (const answer of [
  cedar.isAuthorized({
    ...cedarRequest,
    policies: { staticPolicies: cedarPolicies },
    entities: cedarEntities,
  }),
  cedar.statefulIsAuthorized({
    ...cedarRequest,
    preparsedPolicySetId: 'bench',
    entities: cedarEntities,
  }),
]) {
  if (answer.type !== 'success' || answer.response.decision !== 'allow')
    throw new Error('Cedar did not allow the bench request')
}

/** What the team's own gate signs: the decision and what it was about. */
function cedarPlusSignature(answer) {
  const record = JSON.stringify({
    decision: answer.response.decision,
    reasons: answer.response.diagnostics.reason,
    action: cedarRequest.action.id,
    args,
  })
  return sign(null, Buffer.from(record), privateKey)
}

// The tool itself: what runs when nothing gates it.
let toolCalls = 0
const tool = async (toolArgs) => {
  toolCalls += toolArgs.amount > 0 ? 1 : 0
  return { ok: true }
}

const fsyncFile = join(dir, 'fsync.bin')
const fsyncFd = openSync(fsyncFile, 'w')
const fsyncBlock = Buffer.alloc(600, 1)

const names = {
  sign: 'baseline: node:crypto Ed25519 sign',
  bare: 'baseline: bare tool call, no gate',
  cedar: 'baseline: Cedar isAuthorized + Ed25519 sign',
  cedarStateful: 'baseline: Cedar preparsed (stateful) + sign',
  fsync: 'baseline: 600 B write + fdatasync',
  memory: 'authorize, memory store',
  sqlite: 'authorize, SQLite synchronous=FULL',
  memory64: 'authorize, memory store, 64 callers',
  group64: 'authorize, SQLite group commit, 64 callers',
}
const rows = await runCases(
  [
    { name: names.bare, run: () => tool(args) },
    { name: names.sign, run: () => void sign(null, signingInput, privateKey) },
    { name: names.memory, run: () => memoryGate.authorize(request) },
    {
      name: names.cedar,
      run: () =>
        cedarPlusSignature(
          cedar.isAuthorized({
            ...cedarRequest,
            policies: { staticPolicies: cedarPolicies },
            entities: cedarEntities,
          }),
        ),
    },
    {
      name: names.cedarStateful,
      run: () =>
        cedarPlusSignature(
          cedar.statefulIsAuthorized({
            ...cedarRequest,
            preparsedPolicySetId: 'bench',
            entities: cedarEntities,
          }),
        ),
    },
    {
      name: names.fsync,
      run: () => {
        writeSync(fsyncFd, fsyncBlock, 0, fsyncBlock.length, 0)
        fdatasyncSync(fsyncFd)
      },
    },
    { name: names.sqlite, run: () => sqliteGate.authorize(request) },
    { name: names.memory64, run: () => memoryGate.authorize(request), concurrency: 64 },
    { name: names.group64, run: () => groupGate.authorize(request), concurrency: 64 },
  ],
  { rounds: smoke ? 2 : 6 },
)

// Open loop: 64 callers at a fixed offered load,
// the latency a caller actually sees when the authority is not saturated.
// Offered load: a quarter of the slowest round of 64 in-memory callers, so the authority is
// not saturated even on a noisy machine (a saturated open loop measures its backlog).
const memory64 = rows.find((row) => row.name === names.memory64).opsPerSecond.min
const offered = Math.max(200, Math.round(memory64 * 0.25))
const durationMs = smoke ? 300 : 4000
/** One open-loop run in a fresh process (bench/support/open-loop-child.mjs). */
function openLoopChild(kind, flags = []) {
  const child = spawnSync(
    process.execPath,
    [
      ...flags,
      fileURLToPath(new URL('./support/open-loop-child.mjs', import.meta.url)),
      kind,
      String(offered),
      String(durationMs),
    ],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  )
  if (child.status !== 0) throw new Error(`open loop ${kind} failed: ${child.stderr}`)
  return { ...JSON.parse(child.stdout.trim().split('\n').at(-1)), flags }
}
// A smaller young generation: more, shorter minor collections (see docs/performance.md).
const TAIL_FLAGS = ['--max-semi-space-size=1']
const openLoopResults = {
  // The harness alone (an empty call on the same schedule): the floor of every open-loop p99.
  harness: openLoopChild('harness'),
  memory: openLoopChild('memory'),
  groupCommit: openLoopChild('sqlite-group'),
  // The same with SQLite checkpointing inside commits (its default; `walCheckpoint: 'inline'`).
  groupCommitInline: openLoopChild('sqlite-group-inline'),
  memoryTuned: openLoopChild('memory', TAIL_FLAGS),
  groupCommitTuned: openLoopChild('sqlite-group', TAIL_FLAGS),
}

const groupStats = groupStore.stats()
const sqliteStats = sqliteStore.stats()
closeSync(fsyncFd)
await sqliteStore.close()
await groupStore.close()
rmSync(dir, { recursive: true, force: true })

const memoryVsSign = roundRatio(rows, names.sign, names.memory) // cost ratio = sign ops / memory ops
const groupVsMemory = roundRatio(rows, names.group64, names.memory64)
const cedarVsWrit = roundRatio(rows, names.memory, names.cedar)
const cedarStatefulVsWrit = roundRatio(rows, names.memory, names.cedarStateful)
const group64 = rows.find((row) => row.name === names.group64)
const targets = {
  memoryDecisionVsSignature: target(memoryVsSign.median, '<=', 1.5, {
    meaning: 'cost of one signed in-memory decision / cost of one bare Ed25519 signature',
    perRound: memoryVsSign,
  }),
  groupCommitVsMemoryAt64: target(groupVsMemory.median, '>=', 0.7, {
    meaning:
      'throughput with SQLite group commit / in-memory throughput, both with 64 concurrent callers',
    perRound: groupVsMemory,
  }),
  groupCommitP99ClosedLoopMs: target(group64.latencyMs.p99, '<', 2, {
    meaning:
      'p99 latency, 64 callers in a closed loop (includes queueing: mean latency = 64 / throughput)',
  }),
  memoryP99OpenLoopMs: target(openLoopResults.memory.latencyMs.p99, '<=', 1, {
    meaning: `p99 latency, in-memory gate, 64 callers at ${offered} decisions/s offered (open loop, a quarter of the slowest in-memory round), Node's default flags`,
  }),
  memoryP99OpenLoopTunedMs: {
    measured: openLoopResults.memoryTuned.latencyMs.p99,
    meaning: `same, with ${TAIL_FLAGS.join(' ')} (informative)`,
  },
  groupCommitP99OpenLoopTunedMs: {
    measured: openLoopResults.groupCommitTuned.latencyMs.p99,
    meaning: `p99 latency, SQLite group commit, same load, with ${TAIL_FLAGS.join(' ')} (informative)`,
  },
  groupCommitInlineP99OpenLoopMs: {
    measured: openLoopResults.groupCommitInline.latencyMs.p99,
    meaning:
      'p99 latency, SQLite group commit checkpointing inside commits (walCheckpoint inline), same load (informative)',
  },
  groupCommitP99OpenLoopMs: target(openLoopResults.groupCommit.latencyMs.p99, '<', 2, {
    meaning: `p99 latency, 64 callers at ${offered} decisions/s offered (open loop, a quarter of the slowest in-memory round)`,
  }),
  writVsCedarPlusSignature: target(cedarVsWrit.median, '>=', 3, {
    meaning:
      'how many times faster a whole Writ decision is than Cedar isAuthorized + one Ed25519 signature',
    perRound: cedarVsWrit,
  }),
  writVsCedarPreparsedPlusSignature: {
    measured: cedarStatefulVsWrit.median,
    perRound: cedarStatefulVsWrit,
    meaning: 'same, against Cedar with a preparsed policy set (informative)',
  },
}

console.log(table(rows, names.sign))
console.log(
  `\nopen loop, 64 callers at ${offered}/s: memory p99 ${openLoopResults.memory.latencyMs.p99.toFixed(2)} ms, group commit p99 ${openLoopResults.groupCommit.latencyMs.p99.toFixed(2)} ms`,
)
for (const [name, result] of Object.entries(openLoopResults)) {
  const { stalls } = result
  const kinds = Object.entries(stalls.gc.byKind)
    .map(
      ([kind, gc]) =>
        `${kind} ${gc.count}× ${gc.totalMs.toFixed(0)} ms (max ${gc.maxMs.toFixed(1)})`,
    )
    .join(', ')
  console.log(
    `  ${name}: p50 ${result.latencyMs.p50.toFixed(2)} p99 ${result.latencyMs.p99.toFixed(2)} ms; loop delay p99 ${stalls.eventLoopDelayMs.p99.toFixed(2)} max ${stalls.eventLoopDelayMs.max.toFixed(1)} ms; GC ${(stalls.gc.shareOfWallTime * 100).toFixed(1)}% of wall time (${kinds}); ${(stalls.slowerThan1msBehindGc * 100).toFixed(0)}% of calls over 1 ms waited behind a GC; p99 without GC ${stalls.latencyWithoutGcMs.p99.toFixed(2)} ms`,
  )
  const held = result.transactions
  if (held !== undefined) {
    console.log(
      `    ${held.count} append transactions held the thread ${(held.shareOfWallTime * 100).toFixed(0)}% of the run; ${held.over2ms} took over 2 ms, ${(held.over2msShareOfWallTime * 100).toFixed(1)}% of the run; checkpoints ${result.walCheckpoints.mode}`,
    )
  }
}
console.log(
  `group commit: ${groupStats.appends} appends in ${groupStats.batches} transactions (largest ${groupStats.largestBatch})`,
)
for (const [name, value] of Object.entries(targets)) {
  console.log(
    `${name}: ${value.measured.toFixed(3)} ${value.target ?? ''} ${value.met === undefined ? '' : value.met ? 'MET' : 'MISSED'}`,
  )
}
const file = writeResults('decisions', {
  rows,
  openLoop: openLoopResults,
  stores: { groupCommit: groupStats, full: sqliteStats },
  cedarVersion: cedar.getCedarVersion(),
  receiptBytes: sample.receipt.length,
  toolCalls,
  targets,
})
console.log(`results: ${file}`)
