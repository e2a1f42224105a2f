/**
 * The console's data over each store: the timeline filtered on the server and paged by
 * `seq` without a gap or a repeat, rates with the policy change and the drift of
 * `writ stats`, the open hold, the evidence, and refusals of bad queries by code.
 */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  compilePolicy,
  createMemoryStore,
  decisionRates,
  recordedDecisions,
  type Store,
} from '@writ/core'
import { approvalsPolicyText, createApprovalsFixture } from '@writ/core/testing'
import { createPostgresStore } from '@writ/store-postgres'
import { createSqliteStore } from '@writ/store-sqlite'
import { verifyBundle } from '@writ/verify'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type PgCluster, startPgCluster } from '../../../test/support/pg-cluster.mjs'
import { hashToken, startAuthorityServer } from '../src/index.js'

const operatorToken = 'operator-token-0123456789abcdef'
const agentToken = 'agent-token-0123456789abcdef'
let cluster: PgCluster
let databases = 0

beforeAll(async () => {
  cluster = await startPgCluster()
}, 120_000)

afterAll(() => cluster?.destroy())

const stores: Record<string, () => Promise<Store>> = {
  memory: async () => createMemoryStore(),
  // A store without queryReceipts: the console walks the chain instead.
  'memory, walked': async () => {
    const { queryReceipts: _, ...walked } = createMemoryStore()
    return walked
  },
  sqlite: async () =>
    createSqliteStore({ path: join(mkdtempSync(join(tmpdir(), 'writ-console-')), 'writ.db') }),
  postgres: async () => {
    // A database of its own for each test: one chain, as the assertions expect.
    const name = `console_${++databases}`
    const client = new pg.Client({ connectionString: cluster.url })
    await client.connect()
    await client.query(`CREATE DATABASE ${name}`)
    await client.end()
    return createPostgresStore({ connectionString: cluster.url.replace(/\/postgres$/, `/${name}`) })
  },
}

type Row = { seq: number; decision: string; rule: string | null; agent: string; policy: string }

async function fill(store: Store) {
  const fixture = createApprovalsFixture({ store })
  const { gate } = fixture
  const transfer = (amount: number, agent: string) =>
    gate.authorize({ action: 'payments.transfer', args: { to: 'acme', amount }, agent })
  for (let index = 0; index < 30; index++)
    await transfer(index % 3 === 0 ? 50 : 400, `agent-${index % 2}`)
  gate.setPolicy(
    compilePolicy(approvalsPolicyText().replace('args.amount <= 1000', 'args.amount <= 100')),
  )
  for (let index = 0; index < 30; index++)
    await transfer(index % 3 === 0 ? 50 : 400, `agent-${index % 2}`)
  await transfer(5000, 'agent-1')
  const server = await startAuthorityServer({
    gate,
    agents: [],
    operators: [{ name: 'ops', tokenSha256: hashToken(operatorToken) }],
    console: { secureCookie: false },
  })
  const get = async (path: string) => {
    const response = await fetch(`${server.url}${path}`, {
      headers: { authorization: `Bearer ${operatorToken}` },
    })
    return { status: response.status, body: (await response.json()) as Record<string, unknown> }
  }
  return { gate, server, get }
}

describe.each(Object.keys(stores))('the console over the %s store', (kind) => {
  it('filters on the server and pages by seq with no gap and no repeat', async () => {
    const store = await (stores[kind] as () => Promise<Store>)()
    const { server, get, gate } = await fill(store)
    try {
      const seen: Row[] = []
      let before: number | null | undefined
      do {
        const query = `agent=agent-1&decision=SILENCE&limit=4${before ? `&before=${before}` : ''}`
        const page = (await get(`/console/api/decisions?${query}`)).body as {
          rows: Row[]
          next: number | null
        }
        seen.push(...page.rows)
        before = page.next
      } while (before !== null)
      const all: Row[] = []
      for await (const stored of store.receipts((await store.chains())[0] as string))
        all.push({
          seq: stored.claims.chain.seq,
          decision: stored.claims.decision,
          rule: stored.claims.rule ?? null,
          agent: stored.claims.sub,
          policy: stored.claims.policy.digest,
        })
      const expected = all.filter((row) => row.agent === 'agent-1' && row.decision === 'SILENCE')
      expect(expected.length).toBeGreaterThan(4)
      expect(seen.map((row) => row.seq)).toEqual(expected.map((row) => row.seq).reverse())
      const byPolicy = (await get(`/console/api/decisions?policy=${gate.policy.digest}&limit=200`))
        .body as { rows: Row[] }
      expect(byPolicy.rows.length).toBe(31)
      expect(new Set(byPolicy.rows.map((row) => row.policy))).toEqual(new Set([gate.policy.digest]))
      const byRule = (await get('/console/api/decisions?rule=large&limit=200')).body as {
        rows: Row[]
      }
      expect(byRule.rows.map((row) => row.rule)).toEqual(['large'])
      const noRule = (await get('/console/api/decisions?rule=(none)&limit=200')).body as {
        rows: Row[]
      }
      expect(noRule.rows.map((row) => row.seq)).toEqual(
        all
          .filter((row) => row.rule === null)
          .map((row) => row.seq)
          .reverse(),
      )
    } finally {
      await server.close()
      await store.close()
    }
  }, 60_000)

  it('computes rates, the policy change and the drift of writ stats; shows holds and evidence', async () => {
    const store = await (stores[kind] as () => Promise<Store>)()
    const { server, get } = await fill(store)
    try {
      const rates = (await get('/console/api/rates')).body as {
        changes: unknown[]
        decisions: Record<string, number[]>
        drift: {
          permit: { group: string; flagged: boolean; change: number }[]
          deny: { group: string; flagged: boolean }[]
        }
      }
      expect(rates.changes).toHaveLength(1)
      const total = Object.values(rates.decisions)
        .flat()
        .reduce((sum, count) => sum + count, 0)
      expect(total).toBe(61)
      // The same computation as `writ stats`.
      const stats = decisionRates(await recordedDecisions(store))
      expect(rates.drift.permit).toEqual(JSON.parse(JSON.stringify(stats.rows)))
      expect(rates.drift.permit.find((row) => row.group === 'small')?.flagged).toBe(true)
      expect(rates.drift.deny.find((row) => row.group === '(none)')?.flagged ?? false).toBe(false)
      const holds = (await get('/console/api/holds')).body as {
        holds: { agent: string; approvers: string[] }[]
      }
      expect(holds.holds.map((hold) => hold.agent)).toEqual(['agent-1'])
      expect(holds.holds[0]?.approvers).toContain('Alice')
      const evidence = (await get('/console/api/evidence')).body as {
        chains: { length: number; assurance: string }[]
      }
      expect(evidence.chains.map((chain) => [chain.length, chain.assurance])).toEqual([
        [61, 'signed'],
      ])
    } finally {
      await server.close()
      await store.close()
    }
  }, 60_000)
})

describe('the audit bundle from the console', () => {
  it('covers a range across a policy change and verifies offline; a forgotten policy is refused', async () => {
    const store = createMemoryStore()
    const fixture = createApprovalsFixture({ store })
    const server = await startAuthorityServer({
      gate: fixture.gate,
      agents: [{ agent: 'agent-7', tokenSha256: hashToken(agentToken) }],
      operators: [{ name: 'ops', tokenSha256: hashToken(operatorToken) }],
      console: { secureCookie: false },
    })
    const decide = (amount: number) =>
      fetch(`${server.url}/v1/decisions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${agentToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          action: 'payments.transfer',
          args: JSON.stringify({ to: 'a', amount }),
        }),
      })
    try {
      for (let index = 0; index < 3; index++) await decide(400)
      fixture.gate.setPolicy(
        compilePolicy(approvalsPolicyText().replace('args.amount <= 1000', 'args.amount <= 100')),
      )
      for (let index = 0; index < 3; index++) await decide(400)
      await fixture.gate.checkpoint()
      const response = await fetch(`${server.url}/console/api/bundle?chain=main&from=1&to=6`, {
        headers: { authorization: `Bearer ${operatorToken}` },
      })
      expect(response.headers.get('content-disposition')).toMatch(
        /^attachment; filename="writ-bundle-main\.json"$/,
      )
      const report = await verifyBundle(await response.text(), { keys: await fixture.gate.keys() })
      expect(report.problem).toBeUndefined()
      expect([report.assurance, report.receipts]).toEqual(['signed', 5])
    } finally {
      await server.close()
    }
    // A console started later never served the first policy: it says so rather than guess.
    const later = await startAuthorityServer({
      gate: fixture.gate,
      agents: [],
      operators: [{ name: 'ops', tokenSha256: hashToken(operatorToken) }],
      console: { secureCookie: false },
    })
    try {
      const refused = await fetch(`${later.url}/console/api/bundle?chain=main`, {
        headers: { authorization: `Bearer ${operatorToken}` },
      })
      expect([refused.status, ((await refused.json()) as { code: string }).code]).toEqual([
        409,
        'BUNDLE_INVALID',
      ])
    } finally {
      await later.close()
    }
  })
})

describe('shadow disagreements in the console', () => {
  it('counts those of the last week and lists the newest, from the store records', async () => {
    const store = createMemoryStore()
    const { server, get } = await fill(store)
    try {
      expect((await get('/console/api/shadow')).body).toMatchObject({ available: true, total: 0 })
      const now = Math.floor(Date.now() / 1000)
      const summary = (decision: 'PERMIT' | 'DENY', rule: string) => ({
        decision,
        rule,
        reason: decision === 'PERMIT' ? 'RULE_PERMIT' : 'RULE_DENY',
        digest: `sha256:${'0'.repeat(64)}` as const,
      })
      for (const [index, at] of [now - 30 * 86_400, now - 60, now - 1].entries())
        await store.records?.putDisagreement({
          request: `req-${index}`,
          receipt: `jti-${index}`,
          at,
          action: 'payments.transfer',
          enforcing: summary('PERMIT', 'small'),
          candidate: summary('DENY', 'mid'),
        })
      const shadow = (await get('/console/api/shadow')).body as {
        total: number
        newest: { receipt: string }[]
      }
      expect(shadow.total).toBe(2)
      expect(shadow.newest.map((record) => record.receipt)).toEqual(['jti-2', 'jti-1'])
    } finally {
      await server.close()
    }
  })
})

describe('bad console queries', () => {
  it('are refused with INPUT_SYNTAX, and an unknown receipt with RECEIPT_MISSING', async () => {
    const { server, get } = await fill(createMemoryStore())
    try {
      for (const query of [
        'decision=MAYBE',
        'before=-1',
        'since=yesterday',
        `agent=${'x'.repeat(600)}`,
      ]) {
        const answer = await get(`/console/api/decisions?${query}`)
        expect([query, answer.status, answer.body['code']]).toEqual([query, 400, 'INPUT_SYNTAX'])
      }
      expect((await get('/console/api/rates?threshold=2')).body['code']).toBe('INPUT_SYNTAX')
      expect((await get('/console/api/receipts/nope')).body['code']).toBe('RECEIPT_MISSING')
      expect((await get('/console/api/bundle?chain=main&from=5&to=1')).body['code']).toBe(
        'PROOF_INVALID',
      )
    } finally {
      await server.close()
    }
  })
})
