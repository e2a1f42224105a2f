import type { Database, Statement } from './driver.js'
import { type HoldStatements, prepareHoldStatements } from './hold-statements.js'
import { prepareRecordStatements, type RecordStatements } from './record-statements.js'
import { prepareSessionStatements, type SessionStatements } from './session-statements.js'
import { prepareTreeStatements, type TreeStatements } from './tree-statements.js'

/** A row of the `receipts` table as read back. */
export interface ReceiptRow {
  readonly token: string
  readonly claims: string
}

/**
 * A receipt row with every column the store keeps beside the token, exactly as stored.
 * The columns are copies of what the token says; an audit tool holds them against it.
 */
export interface SqliteReceiptColumns {
  readonly chain_id: string
  readonly seq: number
  readonly jti: string
  readonly req: string
  readonly decision: string
  readonly iat: number
  readonly digest: string
  readonly prev: string | null
  readonly token: string
  /** The decoded claims as JSON text. */
  readonly claims: string
}

/** A row of the `checkpoints` table as read back. */
export interface CheckpointRow {
  readonly chain_id: string
  readonly size: number
  readonly head: string | null
  readonly iat: number
  readonly token: string
}

/** Every statement the store runs, prepared once when the store opens. */
export interface Statements {
  readonly begin: Statement
  readonly commit: Statement
  readonly rollback: Statement
  readonly savepoint: Statement
  readonly release: Statement
  readonly rollbackTo: Statement
  readonly head: Statement<[string], { seq: number; digest: string }>
  readonly windowTotal: Statement<[string, number], { total: number }>
  readonly insertReceipt: Statement<
    [string, number, string, string, string, number, string, string | null, string, string]
  >
  readonly insertReservation: Statement<[string, number, number, string, string]>
  readonly receiptByJti: Statement<[string], ReceiptRow>
  readonly receiptsByRequest: Statement<[string], ReceiptRow>
  readonly receiptsPage: Statement<[string, number, number], ReceiptRow & { seq: number }>
  readonly rowsPage: Statement<[string, number, number], SqliteReceiptColumns>
  readonly chains: Statement<[], { chain_id: string }>
  readonly insertCheckpoint: Statement<[string, number, string | null, number, string]>
  readonly latestCheckpoint: Statement<[string], CheckpointRow>
  readonly claimReplay: Statement<[string, number]>
  readonly purgeReplay: Statement<[number]>
  readonly countReceipts: Statement<[], { count: number }>
  /** Holds and approvals (spec section 11). */
  readonly holds: HoldStatements
  /** The Merkle tree and checkpoint notes (spec section 12). */
  readonly tree: TreeStatements
  /** Shadow disagreements and retained arguments (policy operations). */
  readonly records: RecordStatements
  readonly sessions: SessionStatements
}

/** Prepares {@link Statements} on `database`, whose schema must be current. */
export function prepareStatements(database: Database): Statements {
  return {
    begin: database.prepare('BEGIN IMMEDIATE'),
    commit: database.prepare('COMMIT'),
    rollback: database.prepare('ROLLBACK'),
    savepoint: database.prepare('SAVEPOINT writ_append'),
    release: database.prepare('RELEASE writ_append'),
    rollbackTo: database.prepare('ROLLBACK TO writ_append'),
    head: database.prepare(
      'SELECT seq, digest FROM receipts WHERE chain_id = ? ORDER BY seq DESC LIMIT 1',
    ),
    windowTotal: database.prepare(
      'SELECT total(amount) AS total FROM reservations WHERE key = ? AND at > ?',
    ),
    insertReceipt: database.prepare(
      `INSERT INTO receipts (chain_id, seq, jti, req, decision, iat, digest, prev, token, claims)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    insertReservation: database.prepare(
      'INSERT INTO reservations (key, at, amount, limit_id, jti) VALUES (?, ?, ?, ?, ?)',
    ),
    receiptByJti: database.prepare('SELECT token, claims FROM receipts WHERE jti = ?'),
    receiptsByRequest: database.prepare(
      'SELECT token, claims FROM receipts WHERE req = ? ORDER BY rowid',
    ),
    receiptsPage: database.prepare(
      'SELECT seq, token, claims FROM receipts WHERE chain_id = ? AND seq >= ? ORDER BY seq LIMIT ?',
    ),
    rowsPage: database.prepare(
      `SELECT chain_id, seq, jti, req, decision, iat, digest, prev, token, claims FROM receipts
       WHERE chain_id = ? AND seq >= ? ORDER BY seq LIMIT ?`,
    ),
    chains: database.prepare(
      'SELECT chain_id FROM receipts UNION SELECT chain_id FROM checkpoints ORDER BY chain_id',
    ),
    insertCheckpoint: database.prepare(
      `INSERT INTO checkpoints (chain_id, size, head, iat, token) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (token) DO NOTHING`,
    ),
    latestCheckpoint: database.prepare(
      `SELECT chain_id, size, head, iat, token FROM checkpoints WHERE chain_id = ?
       ORDER BY size DESC, iat DESC, rowid DESC LIMIT 1`,
    ),
    claimReplay: database.prepare(
      'INSERT INTO replay (jti, expires_at) VALUES (?, ?) ON CONFLICT (jti) DO NOTHING',
    ),
    purgeReplay: database.prepare('DELETE FROM replay WHERE expires_at < ?'),
    countReceipts: database.prepare('SELECT count(*) AS count FROM receipts'),
    holds: prepareHoldStatements(database),
    tree: prepareTreeStatements(database),
    records: prepareRecordStatements(database),
    sessions: prepareSessionStatements(database),
  }
}
