import { describePolicyRecordsConformance } from '@writ/core/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type PgCluster, startPgCluster } from '../../../test/support/pg-cluster.mjs'
import { createPostgresStore } from '../src/index.js'

let cluster: PgCluster | undefined
let url = process.env['WRIT_PG_URL'] ?? ''
let schemaCounter = 0
const freshSchema = () => `r_${process.pid}_${Date.now().toString(36)}_${schemaCounter++}`

beforeAll(async () => {
  if (!url) {
    cluster = await startPgCluster()
    url = cluster.url
  }
})
afterAll(() => cluster?.destroy())

describePolicyRecordsConformance('postgres', async (retention) => {
  const store = await createPostgresStore({
    connectionString: url,
    schema: freshSchema(),
    ...(retention === undefined ? {} : { retention }),
  })
  return { store, cleanup: () => store.close() }
})

describe('postgres: policy-operations records shared by instances', () => {
  it('one instance reads what another recorded', async () => {
    const schema = freshSchema()
    const writer = await createPostgresStore({ connectionString: url, schema })
    const reader = await createPostgresStore({ connectionString: url, schema })
    try {
      const summary = { decision: 'PERMIT', rule: 'r', reason: 'RULE_PERMIT' } as const
      const digest = `sha256:${'0'.repeat(64)}` as const
      for (let index = 0; index < 300; index++) {
        await writer.records!.putDisagreement({
          request: `req-${index}`,
          receipt: `jti-${index}`,
          at: 1000 + index,
          action: 'payments.transfer',
          enforcing: { ...summary, digest },
          candidate: { ...summary, decision: 'DENY', reason: 'RULE_DENY', digest },
        })
      }
      const seen: string[] = []
      for await (const record of reader.records!.disagreements({ since: 1010 })) {
        seen.push(record.request)
      }
      expect(seen.length).toBe(290)
      expect(seen[0]).toBe('req-10')
      expect(seen[289]).toBe('req-299')
    } finally {
      await writer.close()
      await reader.close()
    }
  })
})
