// A schema written before the claim columns existed gets them, from its receipts' tokens,
// when it migrates; filtered reads then return exactly the receipts a full read selects.
import { compilePolicy, createGate, generateSigningKey, type StoredReceipt } from '@writ/core'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type PgCluster, startPgCluster } from '../../../test/support/pg-cluster.mjs'
import { createPostgresStore } from '../src/index.js'

let cluster: PgCluster | undefined
let url = process.env['WRIT_PG_URL'] ?? ''
beforeAll(async () => {
  if (!url) {
    cluster = await startPgCluster()
    url = cluster.url
  }
})
afterAll(() => cluster?.destroy())

const POLICY = `writ: 1
id: query-migration
rules:
  - id: small
    effect: permit
    actions: ["pay.*"]
    when: args.amount <= 100
`

describe('postgres: claim columns for schemas written before them', () => {
  it('fills them when it migrates a schema of version 2, and queries match a full read', async () => {
    const schema = `t_query_${process.pid}_${Date.now().toString(36)}`
    const store = await createPostgresStore({ connectionString: url, schema })
    const gate = createGate({
      policy: compilePolicy(POLICY, { source: 'test' }),
      keys: generateSigningKey(),
      issuer: 'https://authority.example',
      store,
      chainId: 'main',
    })
    for (let index = 0; index < 24; index++)
      await gate.authorize({
        action: index % 4 === 0 ? 'other.thing' : 'pay.out',
        args: { amount: index * 10 },
        agent: `agent-${index % 3}`,
      })
    await store.close()

    const client = new pg.Client({ connectionString: url })
    await client.connect()
    await client.query(
      `ALTER TABLE ${schema}.receipts DROP COLUMN agent, DROP COLUMN action, DROP COLUMN rule, DROP COLUMN reason, DROP COLUMN policy; DROP INDEX ${schema}.receipts_iat`,
    )
    await client.query(`UPDATE ${schema}.meta SET version = 2`)
    await client.end()

    const reopened = await createPostgresStore({ connectionString: url, schema })
    try {
      const all: StoredReceipt[] = []
      for await (const receipt of reopened.receipts('main')) all.push(receipt)
      const newestFirst = (pass: (receipt: StoredReceipt) => boolean) =>
        all
          .filter(pass)
          .map((receipt) => receipt.claims.chain.seq)
          .reverse()
      const seqs = async (filter: Parameters<NonNullable<typeof reopened.queryReceipts>>[0]) =>
        ((await reopened.queryReceipts?.(filter)) ?? []).map((receipt) => receipt.claims.chain.seq)

      const agent = await seqs({ chain: 'main', filter: { agent: 'agent-1' }, limit: 100 })
      expect(agent).toEqual(newestFirst((r) => r.claims.sub === 'agent-1'))
      expect(agent.length).toBe(8)
      const noRule = await seqs({ chain: 'main', filter: { rule: null }, limit: 100 })
      expect(noRule).toEqual(newestFirst((r) => (r.claims.rule ?? null) === null))
      expect(noRule.length).toBeGreaterThan(0)
      const permits = await seqs({
        chain: 'main',
        filter: { action: 'pay.out', decision: 'PERMIT', rule: 'small' },
        limit: 100,
      })
      expect(permits).toEqual(
        newestFirst((r) => r.claims.act.name === 'pay.out' && r.claims.decision === 'PERMIT'),
      )
      const digest = all[0]?.claims.policy.digest
      const paged = [
        ...(await seqs({ chain: 'main', filter: { policy: digest as string }, limit: 5 })),
        ...(await seqs({
          chain: 'main',
          filter: { policy: digest as string },
          before: 19,
          limit: 100,
        })),
      ]
      expect(paged).toEqual(newestFirst(() => true))
    } finally {
      await reopened.close()
    }
  })
})
