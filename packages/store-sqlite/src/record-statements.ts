/**
 * Policy-operations records in the SQLite file, beside the receipts: shadow disagreements
 * and (opt in) retained request arguments. Their tables are created when the file opens
 * (`CREATE TABLE IF NOT EXISTS`), apart from the receipt migrations. Each record is one
 * JSON document; nothing here is evidence, so each write is its own statement.
 */
import type { PolicyRecords, RetainedRequest, RetentionRules, ShadowDisagreement } from '@writ/core'
import type { Database, Statement } from 'better-sqlite3'

const TABLES = `
  CREATE TABLE IF NOT EXISTS shadow_disagreements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    record TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS shadow_disagreements_at ON shadow_disagreements (at);
  CREATE TABLE IF NOT EXISTS retained_requests (
    jti TEXT PRIMARY KEY,
    record TEXT NOT NULL
  ) WITHOUT ROWID;
`

const PAGE_SIZE = 256

/** The prepared statements of policy-operations records. */
export interface RecordStatements {
  readonly insertDisagreement: Statement<[number, string]>
  readonly disagreementsPage: Statement<
    [number, number, number, number],
    { id: number; record: string }
  >
  readonly putRetained: Statement<[string, string]>
  readonly retained: Statement<[string], { record: string }>
}

/** Creates the tables if needed and prepares the statements. */
export function prepareRecordStatements(database: Database): RecordStatements {
  database.exec(TABLES)
  return {
    insertDisagreement: database.prepare(
      'INSERT INTO shadow_disagreements (at, record) VALUES (?, ?)',
    ),
    disagreementsPage: database.prepare(
      `SELECT id, record FROM shadow_disagreements WHERE id > ? AND at >= ? AND at <= ?
       ORDER BY id LIMIT ?`,
    ),
    putRetained: database.prepare(
      `INSERT INTO retained_requests (jti, record) VALUES (?, ?)
       ON CONFLICT (jti) DO UPDATE SET record = excluded.record`,
    ),
    retained: database.prepare('SELECT record FROM retained_requests WHERE jti = ?'),
  }
}

/** The {@link PolicyRecords} of a store, each call run through `read` (fails closed). */
export function recordsOn(
  statements: RecordStatements,
  retention: RetentionRules | undefined,
  read: <T>(operation: string, run: () => T) => T,
): PolicyRecords {
  return {
    retention,
    async putDisagreement(record) {
      read('putDisagreement', () =>
        statements.insertDisagreement.run(record.at, JSON.stringify(record)),
      )
    },
    async *disagreements(range = {}) {
      const since = range.since ?? Number.MIN_SAFE_INTEGER
      const until = range.until ?? Number.MAX_SAFE_INTEGER
      let after = 0
      // Paged, so no statement stays open across an `await` of the consumer.
      for (;;) {
        const rows = read('disagreements', () =>
          statements.disagreementsPage.all(after, since, until, PAGE_SIZE),
        )
        for (const row of rows) yield JSON.parse(row.record) as ShadowDisagreement
        if (rows.length < PAGE_SIZE) return
        after = (rows[rows.length - 1] as { id: number }).id
      }
    },
    async putRetained(record) {
      read('putRetained', () => statements.putRetained.run(record.receipt, JSON.stringify(record)))
    },
    async retained(receipt) {
      const row = read('retained', () => statements.retained.get(receipt))
      return row === undefined ? undefined : (JSON.parse(row.record) as RetainedRequest)
    },
  }
}
