// A file written before the claim indexes existed gets them when it opens, and filtered
// reads return exactly the receipts a full read selects, from those indexes.
import { compilePolicy, createGate, generateSigningKey, type StoredReceipt } from '@writ/core'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { createSqliteStore } from '../src/index.js'
import { temporaryDirectory } from './helpers.js'

const POLICY = `writ: 1
id: query-migration
rules:
  - id: small
    effect: permit
    actions: ["pay.*"]
    when: args.amount <= 100
`
const INDEXES = ['agent', 'action', 'decision', 'rule', 'reason', 'policy', 'iat']

describe('sqlite: claim indexes for files written before them', () => {
  it('adds them when it opens a file of schema version 2, and queries match a full read', async () => {
    const directory = temporaryDirectory()
    const path = directory.file()
    try {
      const store = createSqliteStore({ path })
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

      // Make the file what version 2 wrote: no claim indexes.
      const raw = new Database(path)
      for (const name of INDEXES) raw.exec(`DROP INDEX receipts_${name}`)
      raw.pragma('user_version = 2')
      raw.close()

      const reopened = createSqliteStore({ path })
      const all: StoredReceipt[] = []
      for await (const receipt of reopened.receipts('main')) all.push(receipt)
      const newestFirst = (pass: (receipt: StoredReceipt) => boolean) =>
        all
          .filter(pass)
          .map((receipt) => receipt.claims.chain.seq)
          .reverse()
      const seqs = async (query: Parameters<NonNullable<typeof reopened.queryReceipts>>[0]) =>
        ((await reopened.queryReceipts?.(query)) ?? []).map((receipt) => receipt.claims.chain.seq)

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
      const policy = all[0]?.claims.policy.digest as string
      const paged = [
        ...(await seqs({ chain: 'main', filter: { policy }, limit: 5 })),
        ...(await seqs({ chain: 'main', filter: { policy }, before: 19, limit: 100 })),
      ]
      expect(paged).toEqual(newestFirst(() => true))
      await reopened.close()

      const check = new Database(path, { readonly: true })
      const names = check
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'receipts_%'")
        .all() as { name: string }[]
      const plan = check
        .prepare(
          "EXPLAIN QUERY PLAN SELECT token FROM receipts WHERE chain_id = ? AND json_extract(claims, '$.sub') = ? ORDER BY seq DESC",
        )
        .all('main', 'agent-1') as { detail: string }[]
      check.close()
      expect(names.map((row) => row.name)).toEqual(
        expect.arrayContaining(INDEXES.map((name) => `receipts_${name}`)),
      )
      expect(plan.map((row) => row.detail).join(' ')).toContain('receipts_agent')
    } finally {
      directory.remove()
    }
  })
})
