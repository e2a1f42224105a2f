/**
 * Durability under a crash: PostgreSQL is SIGKILLed (server and backends, no shutdown)
 * while many decisions are in flight and batched by group commit. After a restart,
 * every receipt whose decision was answered must be in the chain, and the chain must be
 * whole. Receipts that were never answered may or may not be there; either is honest.
 */
import { compilePolicy, createGate, generateSigningKey, type Store } from '@writ/core'
import { paymentsPolicyTextWith } from '@writ/core/testing'
import { createKeySet, verifyChain } from '@writ/verify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { firstAccepted, type PgCluster, startPgCluster } from '../../../test/support/pg-cluster.mjs'
import { createPostgresStore } from '../src/index.js'

let cluster: PgCluster

beforeAll(async () => {
  cluster = await startPgCluster()
}, 60_000)
afterAll(() => cluster?.destroy())

/** The store, with every append that resolved (the acknowledged ones) noted by jti. */
function noting(store: Store, acknowledged: Set<string>): Store {
  return {
    ...store,
    append: async (chainId, options, issue) => {
      const receipt = await store.append(chainId, options, issue)
      acknowledged.add(receipt.claims.jti)
      return receipt
    },
  }
}

describe('postgres: SIGKILL under load', () => {
  it('keeps every acknowledged receipt and a whole chain', async () => {
    const store = await createPostgresStore({
      connectionString: cluster.url,
      schema: 'crash',
      timeoutMs: 5000,
    })
    const acknowledged = new Set<string>()
    const gate = createGate({
      policy: compilePolicy(paymentsPolicyTextWith({ dailySpendLimit: 1_000_000 }), {
        source: 'limits.yaml',
      }),
      keys: generateSigningKey(),
      issuer: 'https://writ.test',
      store: noting(store, acknowledged),
      chainId: 'crash-chain',
      timeoutMs: 10_000,
    })
    const decide = () =>
      gate.authorize({ action: 'payments.transfer', args: { amount: 1, to: 'bob' }, agent: 'a' })
    let killed = false
    // 32 callers, each deciding again as soon as it is answered, until the database is gone.
    const callers = Array.from({ length: 32 }, async () => {
      for (;;) {
        // Refusals after the kill are expected: they were never acknowledged.
        await decide().catch(() => undefined)
        if (killed) return
        if (acknowledged.size >= 400) {
          killed = true
          cluster.kill()
        }
      }
    })
    await Promise.all(callers)
    const answeredBeforeKill = acknowledged.size
    expect(answeredBeforeKill).toBeGreaterThanOrEqual(400)
    cluster.start()
    // Each pooled connection the crash broke fails one call and is discarded.
    const after = await firstAccepted(12, decide)
    expect(after.decision).toBe('PERMIT')

    const reader = await createPostgresStore({ connectionString: cluster.url, schema: 'crash' })
    const tokens: string[] = []
    const present = new Set<string>()
    for await (const stored of reader.receipts('crash-chain')) {
      tokens.push(stored.token)
      present.add(stored.claims.jti)
    }
    const missing = [...acknowledged].filter((jti) => !present.has(jti))
    expect(missing).toEqual([])
    const report = await verifyChain(tokens, createKeySet(await gate.keys()))
    expect(report.valid).toBe(true)
    expect(tokens.length).toBeGreaterThanOrEqual(acknowledged.size)
    await reader.close()
    await store.close()
  }, 120_000)
})
