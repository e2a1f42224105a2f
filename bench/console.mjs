// The operator's console on a large store: the page's first view, that is the API calls
// the page makes when it opens (who am I, the newest decisions, the rates chart, open
// holds, evidence), all at once as the browser sends them, against `writ serve --console`
// on loopback over a SQLite store of `--receipts` receipts (default 1,000,000; 20,000 with
// --smoke). Target: the first view answered in under 1 s.
// Then filtered pages, to show what the timeline's filters cost: a filter most receipts
// match, and rare ones that match only receipts far back in the chain (the store answers
// them from its indexes, Store.queryReceipts).
// The receipts carry realistic claims (agents, actions, rules, two policy digests) under
// placeholder tokens: the server never verifies a token to list it (the browser does, one
// receipt at a time), so what is measured is store and server time.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { compilePolicy, createGate, generateSigningKey } from '@writ/core'
import { approvalsPolicyText } from '@writ/core/testing'
import { hashToken, startAuthorityServer } from '@writ/server'
import { createSqliteStore } from '@writ/store-sqlite'
import { option, runCases, smoke, table, target, writeResults } from './harness.mjs'

const receipts = Number(option('receipts', smoke ? 20_000 : 1_000_000))
const CHAIN = 'bench'
const START = 1_700_000_000
const OLD = `sha256:${'1'.repeat(64)}`
const NEW = `sha256:${'2'.repeat(64)}`
const RULES = ['small', 'large', 'huge', null]

/** A receipt for `position`: a decision every 50 ms, the policy changing at 90 %. */
function placeholder(context) {
  const { seq, prev } = context.position
  const rule = RULES[seq % 4]
  const claims = {
    jti: `bench-${seq}`,
    req: `req-${seq}`,
    sub: `agent-${seq % 7}`,
    iat: START + Math.floor(seq / 20),
    act: { name: seq % 3 === 0 ? 'payments.refund' : 'payments.transfer' },
    decision: rule === 'small' ? 'PERMIT' : rule === 'large' ? 'SILENCE' : 'DENY',
    rule,
    reason: rule === 'small' ? 'RULE_PERMIT' : 'RULE_DENY',
    policy: { id: 'payments', digest: seq < receipts * 0.9 ? OLD : NEW },
    chain: { id: CHAIN, seq, prev },
  }
  return { token: `eyJhbGciOiJFZERTQSJ9.bench-${seq}.sig`, claims, reserve: false }
}

async function fill(store) {
  const started = performance.now()
  const batch = 2048
  for (let done = 0; done < receipts; done += batch) {
    const count = Math.min(batch, receipts - done)
    await Promise.all(
      Array.from({ length: count }, () => store.append(CHAIN, { now: START }, placeholder)),
    )
  }
  return (performance.now() - started) / 1000
}

const FIRST_VIEW = [
  '/console/api/me',
  '/console/api/decisions',
  '/console/api/rates',
  '/console/api/holds',
  '/console/api/evidence',
]
const TOKEN = 'bench-operator-token-0123456789'

async function get(url) {
  const response = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } })
  if (!response.ok) throw new Error(`${url}: ${response.status}`)
  return response.arrayBuffer()
}

const directory = mkdtempSync(join(tmpdir(), 'writ-bench-console-'))
const store = createSqliteStore({ path: join(directory, 'console.db'), groupCommit: true })
let server
try {
  console.log(`filling a ${receipts}-receipt chain in SQLite …`)
  const fillSeconds = await fill(store)
  console.log(`filled in ${fillSeconds.toFixed(1)} s`)
  const gate = createGate({
    policy: compilePolicy(approvalsPolicyText()),
    keys: generateSigningKey(),
    issuer: 'https://writ.bench',
    store,
    chainId: CHAIN,
  })
  server = await startAuthorityServer({
    gate,
    agents: [],
    operators: [{ name: 'ops', tokenSha256: hashToken(TOKEN) }],
    console: { secureCookie: false },
  })
  const firstView = () => Promise.all(FIRST_VIEW.map((path) => get(`${server.url}${path}`)))
  const rows = await runCases(
    [
      { name: 'first view: me, decisions, rates, holds, evidence', run: firstView },
      { name: 'decisions, newest 50', run: () => get(`${server.url}/console/api/decisions`) },
      {
        name: 'rates of the newest 5,000 decisions',
        run: () => get(`${server.url}/console/api/rates`),
      },
      {
        name: 'filtered page: agent-3 PERMITs (matches often)',
        run: () => get(`${server.url}/console/api/decisions?agent=agent-3&decision=PERMIT`),
      },
      {
        name: 'filtered page, rare: old policy digest (none in the newest 10 %)',
        run: () => get(`${server.url}/console/api/decisions?policy=${OLD}`),
      },
      {
        name: 'filtered page, rare: the first 1,000 seconds (the oldest 2 %)',
        run: () => get(`${server.url}/console/api/decisions?until=${START + 1000}`),
      },
    ],
    { rounds: smoke ? 2 : 5, roundMs: smoke ? 100 : 2000, warmupMs: smoke ? 50 : 1000 },
  )
  console.log(table(rows))
  const first = rows[0]
  const file = writeResults('console', {
    receipts,
    fillSeconds,
    rows,
    targets: {
      firstViewUnder1s: target(first.latencyMs.p90, '<', 1000, {
        what: `p90 of the console's first view (five API calls at once) on a ${receipts}-receipt SQLite store, loopback, ms`,
      }),
    },
  })
  console.log(`results: ${file}`)
} finally {
  await server?.close()
  await store.close()
  rmSync(directory, { recursive: true, force: true })
}
