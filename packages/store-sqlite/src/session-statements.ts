/**
 * Session histories in the SQLite file (`history` in policy conditions): a version per
 * session and one row per decision. The tables are created when the file opens
 * (`CREATE TABLE IF NOT EXISTS`); rows are checked and written inside the append
 * transaction, with the receipt they describe.
 */
import {
  type AppendOptions,
  type ReceiptClaims,
  type SessionHistoryStore,
  type StoredSessionEntry,
  sessionMovedError,
} from '@writ/core'

// Only what this file runs, so it reads any driver's statements the same way.
interface Statement<P extends unknown[], R = unknown> {
  run(...params: P): unknown
  get(...params: P): R | undefined
  all(...params: P): R[]
}

interface Database {
  exec(sql: string): unknown
  // biome-ignore lint/suspicious/noExplicitAny: each statement's parameters are typed where it is kept
  prepare(sql: string): Statement<any, any>
}

const TABLES = `
  CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    version INTEGER NOT NULL CHECK (version >= 0)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS session_entries (
    session TEXT NOT NULL,
    version INTEGER NOT NULL,
    action TEXT NOT NULL,
    decision TEXT NOT NULL,
    rule TEXT,
    time INTEGER NOT NULL,
    tags TEXT NOT NULL,
    PRIMARY KEY (session, version)
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS session_entries_time ON session_entries (session, time);
`

interface EntryRow {
  readonly action: string
  readonly decision: StoredSessionEntry['decision']
  readonly rule: string | null
  readonly time: number
  readonly tags: string
}

/** The prepared statements of session histories. */
export interface SessionStatements {
  readonly version: Statement<[string], { version: number }>
  readonly bump: Statement<[string]>
  readonly insert: Statement<[string, string, string, string, string | null, number, string]>
  readonly prune: Statement<[string, number]>
  readonly recent: Statement<[string, number, number], EntryRow>
}

/** Creates the tables if needed and prepares the statements. */
export function prepareSessionStatements(database: Database): SessionStatements {
  database.exec(TABLES)
  return {
    version: database.prepare('SELECT version FROM sessions WHERE id = ?'),
    bump: database.prepare(
      `INSERT INTO sessions (id, version) VALUES (?, 1)
       ON CONFLICT (id) DO UPDATE SET version = version + 1`,
    ),
    insert: database.prepare(
      `INSERT INTO session_entries (session, version, action, decision, rule, time, tags)
       VALUES (?, (SELECT version FROM sessions WHERE id = ?), ?, ?, ?, ?, ?)`,
    ),
    prune: database.prepare('DELETE FROM session_entries WHERE session = ? AND time < ?'),
    recent: database.prepare(
      `SELECT action, decision, rule, time, tags FROM (
         SELECT * FROM session_entries WHERE session = ? AND time >= ?
         ORDER BY version DESC LIMIT ?
       ) ORDER BY version`,
    ),
  }
}

function versionOf(statements: SessionStatements, id: string): number {
  return statements.version.get(id)?.version ?? 0
}

/** Inside the append transaction, before issuing: refuses a session that moved. */
export function checkSession(statements: SessionStatements, options: AppendOptions): void {
  const session = options.session
  if (session?.expect === undefined) return
  if (versionOf(statements, session.id) !== session.expect) throw sessionMovedError(session.id)
}

/** Inside the append transaction, with the receipt: writes its entry and drops old ones. */
export function writeSession(
  statements: SessionStatements,
  options: AppendOptions,
  claims: ReceiptClaims,
): void {
  const session = options.session
  if (session === undefined) return
  statements.bump.run(session.id)
  const tags = JSON.stringify([...session.tags])
  statements.insert.run(
    session.id,
    session.id,
    claims.act.name,
    claims.decision,
    claims.rule,
    options.now,
    tags,
  )
  statements.prune.run(session.id, options.now - session.keepSeconds)
}

type Read = <T>(operation: string, run: () => T) => T

/** The {@link SessionHistoryStore} of a store, each read run through `read` (fails closed). */
export function sessionsOn(statements: SessionStatements, read: Read): SessionHistoryStore {
  return {
    async read(id, { since, max }) {
      return read('session', () => {
        const version = versionOf(statements, id)
        const rows = statements.recent.all(id, since, max + 1)
        const entries = rows.map((row) => ({
          action: row.action,
          decision: row.decision,
          rule: row.rule,
          time: row.time,
          tags: JSON.parse(row.tags) as string[],
        }))
        return { entries, version }
      })
    },
  }
}
