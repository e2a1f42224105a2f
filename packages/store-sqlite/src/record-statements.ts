/**
 * Policy-operations records in the SQLite file, beside the receipts: shadow disagreements
 * and (opt in) retained request arguments. Their tables are created when the file opens
 * (`CREATE TABLE IF NOT EXISTS`), apart from the receipt migrations. Each record is one
 * JSON document; nothing here is evidence, so records are written apart from the append
 * transaction, those of one turn of the event loop together in one commit (one fsync
 * for a burst of decisions, not one each).
 */
import type { PolicyRecords, RetainedRequest, RetentionRules, ShadowDisagreement } from '@writ/core'
import type { Database, Statement } from './driver.js'

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
  readonly database: Database
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
    database,
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

type Read = <T>(operation: string, run: () => T) => T

/**
 * Writes run together: the first write of a turn schedules one transaction for every
 * write queued until it runs; each caller's promise settles with that commit.
 */
function writeQueue(database: Database, read: Read) {
  let pending: { run: () => void; resolve: () => void; reject: (error: unknown) => void }[] = []
  const flush = () => {
    const batch = pending
    pending = []
    try {
      read('records', () =>
        database.transaction(() => {
          for (const item of batch) item.run()
        })(),
      )
      for (const item of batch) item.resolve()
    } catch (error) {
      for (const item of batch) item.reject(error)
    }
  }
  const write = (run: () => void) =>
    new Promise<void>((resolve, reject) => {
      if (pending.length === 0) setImmediate(flush)
      pending.push({ run, resolve, reject })
    })
  // Flushing twice is harmless: the timer finds nothing pending.
  return { write, flush: () => pending.length > 0 && flush() }
}

/** The {@link PolicyRecords} of a store, each call run through `read` (fails closed). */
export function recordsOn(
  statements: RecordStatements,
  retention: RetentionRules | undefined,
  read: Read,
): PolicyRecords & { flush(): void } {
  const { write, flush } = writeQueue(statements.database, read)
  return {
    flush,
    retention,
    async putDisagreement(record) {
      const text = JSON.stringify(record)
      await write(() => statements.insertDisagreement.run(record.at, text))
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
      const text = JSON.stringify(record)
      await write(() => statements.putRetained.run(record.receipt, text))
    },
    async retained(receipt) {
      const row = read('retained', () => statements.retained.get(receipt))
      return row === undefined ? undefined : (JSON.parse(row.record) as RetainedRequest)
    },
  }
}
