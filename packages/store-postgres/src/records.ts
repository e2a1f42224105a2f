/**
 * Policy-operations records on PostgreSQL, shared by every instance: shadow disagreements
 * and (opt in) retained request arguments, each one JSON document. Nothing here is
 * evidence, so each write is its own statement, outside the append transaction.
 */
import type { PolicyRecords, RetainedRequest, RetentionRules, ShadowDisagreement } from '@writ/core'
import { type Connection, inTransaction } from './connection.js'

const PAGE_SIZE = 256

/** Creates the tables if needed, one instance at a time. */
export async function createRecordTables(connection: Connection): Promise<void> {
  const { table } = connection
  await connection.withClient('records', (client) =>
    inTransaction(client, async () => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `writ-records:${table('shadow_disagreements')}`,
      ])
      await client.query(`
        CREATE TABLE IF NOT EXISTS ${table('shadow_disagreements')} (
          id BIGSERIAL PRIMARY KEY,
          at BIGINT NOT NULL,
          record TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS shadow_disagreements_at ON ${table('shadow_disagreements')} (at);
        CREATE TABLE IF NOT EXISTS ${table('retained_requests')} (
          jti TEXT PRIMARY KEY,
          record TEXT NOT NULL
        );`)
    }),
  )
}

/** The {@link PolicyRecords} of a PostgreSQL store. */
export function recordsOn(
  connection: Connection,
  retention: RetentionRules | undefined,
): PolicyRecords {
  const { table, withClient } = connection
  const query = <Row extends object>(operation: string, sql: string, values: unknown[]) =>
    withClient(operation, (client) => client.query<Row>(sql, values)).then((result) => result.rows)
  return {
    retention,
    async putDisagreement(record) {
      await query(
        'putDisagreement',
        `INSERT INTO ${table('shadow_disagreements')} (at, record) VALUES ($1, $2)`,
        [record.at, JSON.stringify(record)],
      )
    },
    async *disagreements(range = {}) {
      let after = '0'
      for (;;) {
        const rows = await query<{ id: string; record: string }>(
          'disagreements',
          `SELECT id, record FROM ${table('shadow_disagreements')}
           WHERE id > $1 AND at >= $2 AND at <= $3 ORDER BY id LIMIT $4`,
          [
            after,
            range.since ?? Number.MIN_SAFE_INTEGER,
            range.until ?? Number.MAX_SAFE_INTEGER,
            PAGE_SIZE,
          ],
        )
        for (const row of rows) yield JSON.parse(row.record) as ShadowDisagreement
        if (rows.length < PAGE_SIZE) return
        after = (rows[rows.length - 1] as { id: string }).id
      }
    },
    async putRetained(record) {
      await query(
        'putRetained',
        `INSERT INTO ${table('retained_requests')} (jti, record) VALUES ($1, $2)
         ON CONFLICT (jti) DO UPDATE SET record = EXCLUDED.record`,
        [record.receipt, JSON.stringify(record)],
      )
    },
    async retained(receipt) {
      const [row] = await query<{ record: string }>(
        'retained',
        `SELECT record FROM ${table('retained_requests')} WHERE jti = $1`,
        [receipt],
      )
      return row === undefined ? undefined : (JSON.parse(row.record) as RetainedRequest)
    },
  }
}
