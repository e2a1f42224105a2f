// The authority as a service (`writ serve`) on loopback: decisions per second and
// latency under an HTTP load generator (autocannon, 64 connections), each store beside
// the same HTTP stack answering a fixed JSON with no gate (the floor). Every authority
// runs in its own process, as in production; autocannon runs in this one.
// Then the per-decision cost of createRemoteGate (one caller, which verifies every
// receipt it gets back) beside the in-process gate.
//
// PostgreSQL: WRIT_PG_URL when set, else a throwaway cluster from /usr/lib/postgresql,
// else the PostgreSQL rows are skipped (and say so).
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { compilePolicy, createGate, createRemoteGate, generateSigningKey } from '@writ/core'
import autocannon from 'autocannon'
import { postgresBinDir, startPgCluster } from '../test/support/pg-cluster.mjs'
import { roundRatio, runCases, smoke, summary, table, target, writeResults } from './harness.mjs'
import { BENCH_TOKEN } from './support/authority-token.mjs'

const authorityScript = fileURLToPath(new URL('./support/authority.mjs', import.meta.url))

async function startAuthority(kind, postgresUrl) {
  const child = spawn(
    process.execPath,
    [authorityScript, kind, ...(postgresUrl ? [postgresUrl] : [])],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  )
  const lines = createInterface({ input: child.stdout })
  const [first] = await Promise.race([
    once(lines, 'line'),
    once(child, 'exit').then(([code]) => {
      throw new Error(`authority ${kind} exited with ${code}`)
    }),
  ])
  const { url, keys } = JSON.parse(first)
  return {
    kind,
    url,
    keys,
    async stop() {
      child.stdin.end()
      await once(child, 'exit')
    },
  }
}

let cluster
let postgresUrl = process.env.WRIT_PG_URL
let postgresNote = postgresUrl ? 'WRIT_PG_URL' : undefined
if (!postgresUrl && postgresBinDir()) {
  cluster = await startPgCluster()
  postgresUrl = cluster.url
  postgresNote = `throwaway cluster (${cluster.version}, fsync=on)`
}
if (!postgresUrl) postgresNote = 'skipped: no WRIT_PG_URL and no PostgreSQL server binaries'

const labels = {
  bare: 'baseline: same HTTP stack, fixed JSON, no gate',
  memory: 'writ serve, memory store',
  sqlite: 'writ serve, SQLite synchronous=FULL, no group commit',
  'sqlite-group': 'writ serve, SQLite group commit',
  postgres: 'writ serve, PostgreSQL',
}
/** The service's targets, each the median of per-round ratios between rows of one round. */
function serverTargets(httpRows) {
  const ratio = (numerator, denominator) =>
    roundRatio(httpRows, labels[numerator], labels[denominator])
  const memory = ratio('memory', 'bare')
  const targets = {
    memoryVsFloor: target(memory.median, '>=', 0.3, {
      meaning: 'writ serve with the memory store / the same HTTP stack answering a constant',
      perRound: memory,
    }),
  }
  if (httpRows.some((row) => row.name === labels.postgres)) {
    const postgres = ratio('postgres', 'sqlite-group')
    targets.postgresVsSqliteGroup = target(postgres.median, '>=', 0.5, {
      meaning: 'writ serve with PostgreSQL / with SQLite group commit',
      perRound: postgres,
    })
  }
  return targets
}

const kinds = ['bare', 'memory', 'sqlite', 'sqlite-group', ...(postgresUrl ? ['postgres'] : [])]
const authorities = []
try {
  for (const kind of kinds)
    authorities.push(await startAuthority(kind, kind === 'postgres' ? postgresUrl : undefined))

  const body = JSON.stringify({
    action: 'payments.transfer',
    args: JSON.stringify({ to: 'acme', amount: 250, currency: 'EUR', memo: 'invoice 2291' }),
  })
  const connections = 64
  const rounds = smoke ? 1 : 5
  const seconds = smoke ? 1 : 3
  const results = Object.fromEntries(kinds.map((kind) => [kind, []]))
  const fire = (url, duration) =>
    autocannon({
      url: `${url}/v1/decisions`,
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_TOKEN}` },
      body,
      connections,
      duration,
    })
  for (const authority of authorities) await fire(authority.url, smoke ? 0.3 : 1) // warm-up
  for (let round = 0; round < rounds; round++) {
    for (const authority of authorities) {
      const result = await fire(authority.url, seconds)
      if (result.non2xx > 0 || result.errors > 0)
        throw new Error(
          `${authority.kind}: ${result.non2xx} non-2xx answers, ${result.errors} errors`,
        )
      results[authority.kind].push(result)
    }
  }
  const httpRows = kinds.map((kind) => {
    const list = results[kind]
    return {
      name: labels[kind],
      connections,
      opsPerSecond: summary(list.map((result) => result.requests.average)),
      perRound: list.map((result) => result.requests.average),
      latencyMs: {
        p50: summary(list.map((result) => result.latency.p50)).median,
        p90: summary(list.map((result) => result.latency.p90)).median,
        p99: summary(list.map((result) => result.latency.p99)).median,
        max: Math.max(...list.map((result) => result.latency.max)),
      },
      requests: list.reduce((sum, result) => sum + result.requests.total, 0),
    }
  })

  // One caller through createRemoteGate, which checks every receipt it gets back.
  const request = {
    action: 'payments.transfer',
    args: { to: 'acme', amount: 250, currency: 'EUR', memo: 'invoice 2291' },
  }
  const local = createGate({
    policy: compilePolicy(
      {
        writ: 1,
        id: 'bench-payments',
        rules: [
          {
            id: 'small-transfers',
            effect: 'permit',
            actions: ['payments.transfer'],
            when: "args.amount <= 1000 && args.currency in ['USD', 'EUR']",
          },
        ],
      },
      { source: 'bench.json' },
    ),
    keys: generateSigningKey(),
    issuer: 'bench',
  })
  const remote = (kind) => {
    const authority = authorities.find((candidate) => candidate.kind === kind)
    return createRemoteGate({ url: authority.url, token: BENCH_TOKEN, keys: authority.keys })
  }
  const remoteMemory = remote('memory')
  const remoteGroup = remote('sqlite-group')
  for (const gate of [remoteMemory, remoteGroup]) {
    const decision = await gate.authorize(request)
    if (decision.decision !== 'PERMIT') throw new Error(`remote gate decided ${decision.decision}`)
  }
  const remoteRows = await runCases(
    [
      { name: 'baseline: in-process gate, memory store', run: () => local.authorize(request) },
      {
        name: 'createRemoteGate → writ serve (memory), 1 caller',
        run: () => remoteMemory.authorize(request),
      },
      {
        name: 'createRemoteGate → writ serve (SQLite group), 1 caller',
        run: () => remoteGroup.authorize(request),
      },
    ],
    { rounds: smoke ? 2 : 5, roundMs: smoke ? 60 : 500 },
  )

  const floor = httpRows[0].opsPerSecond.median
  console.log(
    `${'autocannon, 64 connections'.padEnd(64)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)} ${'vs floor'.padStart(9)}`,
  )
  for (const row of httpRows) {
    console.log(
      `${row.name.padEnd(64)} ${row.opsPerSecond.median.toFixed(0).padStart(8)} ${String(row.latencyMs.p50).padStart(7)} ${String(row.latencyMs.p99).padStart(7)} ${`${((100 * row.opsPerSecond.median) / floor).toFixed(0)}%`.padStart(9)}`,
    )
  }
  console.log(`PostgreSQL: ${postgresNote}`)
  console.log(`\n${table(remoteRows, remoteRows[0].name)}`)
  const file = writeResults('server', {
    rows: [...httpRows, ...remoteRows],
    httpRows,
    remoteRows,
    postgres: postgresNote,
    targets: serverTargets(httpRows),
  })
  console.log(`results: ${file}`)
} finally {
  for (const authority of authorities) await authority.stop()
  cluster?.destroy()
}
