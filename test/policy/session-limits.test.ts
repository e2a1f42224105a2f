/**
 * `per: session` limits on every store: at most three record exports per session,
 * counted atomically by the store (on PostgreSQL across two gates sharing it), a fresh
 * session starting from zero, and a request without a session refused (fail closed).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  compilePolicy,
  createGate,
  createMemoryStore,
  generateSigningKey,
  type Store,
} from '@writ/core'
import { createPostgresStore } from '@writ/store-postgres'
import { createSqliteStore } from '@writ/store-sqlite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type PgCluster, startPgCluster } from '../support/pg-cluster.mjs'

const policy = compilePolicy(`writ: 1
id: exports
rules:
  - id: exports
    effect: permit
    actions: [records.export]
limits:
  - id: three-exports-per-session
    actions: [records.export]
    per: session
    window: 1d
    count: true
    max: 3
    reason: SESSION_EXPORTS
tests:
  - name: an export outside any session is refused
    action: records.export
    expect: { decision: DENY, rule: three-exports-per-session, reason: SESSION_REQUIRED }
  - name: an export in a session is permitted
    action: records.export
    session: run-1
    expect: { decision: PERMIT, rule: exports }
`)

const keys = generateSigningKey()
const gateOn = (store: Store) => createGate({ policy, keys, issuer: 'https://w.example', store })
const exportIn = (gate: ReturnType<typeof gateOn>, session?: string) =>
  gate.authorize({
    action: 'records.export',
    args: {},
    ...(session === undefined ? {} : { session }),
  })

async function checkSessions(first: Store, second: Store = first): Promise<void> {
  const gates = [gateOn(first), gateOn(second)]
  const decisions = await Promise.all(
    [0, 1, 2, 3, 4, 5].map((index) => exportIn(gates[index % 2]!, 'run-1')),
  )
  expect(decisions.filter((decision) => decision.decision === 'PERMIT')).toHaveLength(3)
  expect(
    decisions.filter((decision) => decision.reason === 'SESSION_EXPORTS').map((d) => d.rule),
  ).toEqual(['three-exports-per-session', 'three-exports-per-session', 'three-exports-per-session'])
  expect((await exportIn(gates[0]!, 'run-2')).decision).toBe('PERMIT')
  const none = await exportIn(gates[1]!)
  expect([none.decision, none.reason]).toEqual(['DENY', 'SESSION_REQUIRED'])
}

describe('per: session limits', () => {
  it('memory store', () => checkSessions(createMemoryStore()))

  it('SQLite store (a real file)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'writ-session-'))
    const store = createSqliteStore({ path: join(dir, 'writ.db') })
    try {
      await checkSessions(store)
    } finally {
      await store.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })

  describe('PostgreSQL', () => {
    let cluster: PgCluster | undefined
    let url = process.env['WRIT_PG_URL'] ?? ''
    beforeAll(async () => {
      if (!url) {
        cluster = await startPgCluster()
        url = cluster.url
      }
    }, 120_000)
    afterAll(() => cluster?.destroy())

    it('two instances sharing one database count one session atomically', async () => {
      const schema = `session_${process.pid}_${Date.now().toString(36)}`
      const one = await createPostgresStore({ connectionString: url, schema })
      const two = await createPostgresStore({ connectionString: url, schema })
      try {
        await checkSessions(one, two)
      } finally {
        await one.close()
        await two.close()
      }
    }, 60_000)
  })

  it('a session is only what the caller passes: bad values are refused as input, never counted elsewhere', async () => {
    const gate = gateOn(createMemoryStore())
    for (const session of ['', 'x'.repeat(257)]) {
      const decision = await exportIn(gate, session)
      expect([decision.decision, decision.reason]).toEqual(['DENY', 'INPUT_INVALID'])
    }
    const notString = await gate.authorize({
      action: 'records.export',
      args: {},
      session: 7 as unknown as string,
    })
    expect(notString.reason).toBe('INPUT_INVALID')
  })
})
