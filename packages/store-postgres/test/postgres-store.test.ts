import { compilePolicy, createGate, generateSigningKey, guardAction, refusalOf } from '@writ/core'
import { describeStoreConformance, paymentsPolicyTextWith } from '@writ/core/testing'
import { createKeySet, verifyChain, WritError } from '@writ/verify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { firstAccepted, type PgCluster, startPgCluster } from '../../../test/support/pg-cluster.mjs'
import { createPostgresStore } from '../src/index.js'

let cluster: PgCluster | undefined
let url = process.env['WRIT_PG_URL'] ?? ''
let schemaCounter = 0
const freshSchema = () => `t_${process.pid}_${Date.now().toString(36)}_${schemaCounter++}`

beforeAll(async () => {
  if (!url) {
    cluster = await startPgCluster()
    url = cluster.url
  }
})
afterAll(() => cluster?.destroy())

describeStoreConformance('postgres', async () => {
  const store = await createPostgresStore({
    connectionString: url,
    schema: freshSchema(),
    maxConnections: 20,
  })
  return { store, cleanup: () => store.close() }
})

// The payments policy with a daily spend limit of 5,000 per agent (reason DAILY_SPEND).
const policyText = paymentsPolicyTextWith({ dailySpendLimit: 5000 })

describe('postgres: several authority instances on one database', () => {
  it('keeps one contiguous chain per instance and enforces a shared limit exactly', async () => {
    const schema = freshSchema()
    const key = generateSigningKey()
    const policy = compilePolicy(policyText, { source: 'limits.yaml' })
    const stores = await Promise.all(
      [0, 1, 2].map(() =>
        // 200 decisions queue on 20 connections per instance: give the queue the
        // same patience as the gates, so a loaded machine tests limits, not latency.
        createPostgresStore({
          connectionString: url,
          schema,
          maxConnections: 20,
          timeoutMs: 30_000,
        }),
      ),
    )
    const gates = stores.map((store, index) =>
      createGate({
        policy,
        keys: key,
        issuer: 'https://writ.test',
        store,
        chainId: `instance-${index}`,
        timeoutMs: 30_000,
      }),
    )
    const decisions = await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        gates[index % 3]!.authorize({
          action: 'payments.transfer',
          args: { amount: 100, to: 'bob' },
          agent: 'agent-7',
        }),
      ),
    )
    const permits = decisions.filter((decision) => decision.decision === 'PERMIT')
    expect(permits).toHaveLength(50)
    const refused = decisions.filter((decision) => decision.decision === 'DENY')
    expect(refused).toHaveLength(150)
    expect(new Set(refused.map((decision) => decision.reason))).toEqual(new Set(['DAILY_SPEND']))
    const keys = createKeySet(await gates[0]!.keys())
    for (const [index, store] of stores.entries()) {
      const tokens: string[] = []
      for await (const stored of store.receipts(`instance-${index}`)) tokens.push(stored.token)
      const report = await verifyChain(tokens, keys)
      expect(report.valid).toBe(true)
      expect(tokens.length).toBeGreaterThan(0)
    }
    expect((await stores[0]!.chains()).sort()).toEqual(['instance-0', 'instance-1', 'instance-2'])
    await Promise.all(stores.map((store) => store.close()))
  })
})

describe('postgres: faults', () => {
  it('refuses while the database is down, loses nothing, and recovers', async () => {
    const own = await startPgCluster()
    try {
      const store = await createPostgresStore({
        connectionString: own.url,
        schema: 'faults',
        timeoutMs: 2000,
      })
      const gate = createGate({
        policy: compilePolicy(policyText, { source: 'limits.yaml' }),
        keys: generateSigningKey(),
        issuer: 'https://writ.test',
        store,
        timeoutMs: 10_000,
      })
      const before = []
      for (let index = 0; index < 5; index++) {
        before.push(
          await gate.authorize({
            action: 'payments.transfer',
            args: { amount: 1, to: 'bob' },
            agent: 'a',
          }),
        )
      }
      own.stop()
      let executed = 0
      const failure = await guardAction(
        gate,
        { action: 'payments.transfer', args: { amount: 1, to: 'bob' }, agent: 'a' },
        () => {
          executed++
        },
      ).catch((error: unknown) => error)
      expect(executed).toBe(0)
      expect(WritError.isInstance(failure)).toBe(true)
      expect(refusalOf(failure)).toBeUndefined()
      expect((failure as WritError).code).toBe('STORE_UNAVAILABLE')
      // pg_ctl -w returns once PostgreSQL accepts connections. A pooled connection broken
      // by the restart fails one append and is discarded, so with a pool of 10 the
      // eleventh append at the latest succeeds: retried on each failure, never on a timer.
      own.start()
      const recovered = await firstAccepted(11, () =>
        gate.authorize({ action: 'payments.transfer', args: { amount: 1, to: 'bob' }, agent: 'a' }),
      )
      expect(recovered.decision).toBe('PERMIT')
      const tokens: string[] = []
      for await (const stored of store.receipts(gate.chainId)) tokens.push(stored.token)
      expect(tokens.slice(0, 5)).toEqual(before.map((decision) => decision.receipt))
      const report = await verifyChain(tokens, createKeySet(await gate.keys()))
      expect(report.valid).toBe(true)
      await store.close()
    } finally {
      own.destroy()
    }
  })

  it('refuses with STORE_UNAVAILABLE when nothing listens at all', async () => {
    const failure = await createPostgresStore({
      connectionString: 'postgres://writ@127.0.0.1:1/postgres',
      timeoutMs: 1000,
    }).catch((error: unknown) => error)
    expect(WritError.isInstance(failure) && failure.code).toBe('STORE_UNAVAILABLE')
  })

  it('refuses an invalid schema name before touching the database', async () => {
    const failure = await createPostgresStore({
      connectionString: url,
      schema: 'x; DROP TABLE y',
    }).catch((error: unknown) => error)
    expect(WritError.isInstance(failure) && failure.code).toBe('STORE_UNAVAILABLE')
  })
})
