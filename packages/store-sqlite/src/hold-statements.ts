/**
 * Holds and approvals (spec section 11) in the SQLite file, beside the receipts. Their
 * tables are created when the file opens (`CREATE TABLE IF NOT EXISTS`), apart from the
 * receipt migrations. A hold is opened and closed inside the append transaction that
 * writes its receipt; an approval is recorded in its own `BEGIN IMMEDIATE` transaction,
 * so two processes never both record one, and a reject closes its hold atomically.
 */
import {
  type AppendOptions,
  checkHoldClosing,
  type HoldStore,
  type IssuedReceipt,
  refuseApproval,
  type StoredApproval,
  type StoredHold,
  type StoredHoldState,
} from '@writ/core'
import type { Digest } from '@writ/verify'
import type { Database, Statement } from './driver.js'

const TABLES = `
  CREATE TABLE IF NOT EXISTS holds (
    id TEXT PRIMARY KEY,
    match TEXT NOT NULL,
    approver_group TEXT NOT NULL,
    quorum INTEGER NOT NULL CHECK (quorum >= 1),
    exp INTEGER NOT NULL,
    receipt TEXT NOT NULL,
    args TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'rejected', 'used', 'expired')),
    permit TEXT UNIQUE
  );
  CREATE INDEX IF NOT EXISTS holds_match ON holds (match);
  CREATE TABLE IF NOT EXISTS approvals (
    digest TEXT PRIMARY KEY,
    hold TEXT NOT NULL REFERENCES holds (id),
    approver TEXT NOT NULL,
    verdict TEXT NOT NULL CHECK (verdict IN ('approve', 'reject')),
    iat INTEGER NOT NULL,
    exp INTEGER NOT NULL,
    text TEXT NOT NULL,
    recorded INTEGER NOT NULL,
    UNIQUE (hold, approver)
  );
`

interface HoldRow {
  readonly id: string
  readonly match: string
  readonly approver_group: string
  readonly quorum: number
  readonly exp: number
  readonly receipt: string
  readonly args: string
  readonly state: StoredHoldState
  readonly permit: string | null
}

interface ApprovalRow {
  readonly digest: string
  readonly hold: string
  readonly approver: string
  readonly verdict: 'approve' | 'reject'
  readonly iat: number
  readonly exp: number
  readonly text: string
  readonly recorded: number
}

/** The prepared statements of holds and approvals. */
export interface HoldStatements {
  readonly database: Database
  readonly get: Statement<[string], HoldRow>
  readonly byMatch: Statement<[string, number], HoldRow>
  readonly list: Statement<[number], HoldRow>
  readonly listState: Statement<[string, number], HoldRow>
  readonly open: Statement<[string, string, string, number, number, string, string]>
  readonly setState: Statement<[string, string | null, string, string]>
  readonly approvals: Statement<[string], ApprovalRow>
  readonly approval: Statement<[string], ApprovalRow>
  readonly insertApproval: Statement<
    [string, string, string, string, number, number, string, number]
  >
}

const COLUMNS = 'id, match, approver_group, quorum, exp, receipt, args, state, permit'

/** Creates the tables if needed and prepares the statements. */
export function prepareHoldStatements(database: Database): HoldStatements {
  database.exec(TABLES)
  return {
    database,
    get: database.prepare(`SELECT ${COLUMNS} FROM holds WHERE id = ?`),
    byMatch: database.prepare(
      `SELECT ${COLUMNS} FROM holds WHERE match = ? ORDER BY rowid DESC LIMIT ?`,
    ),
    list: database.prepare(`SELECT ${COLUMNS} FROM holds ORDER BY rowid DESC LIMIT ?`),
    listState: database.prepare(
      `SELECT ${COLUMNS} FROM holds WHERE state = ? ORDER BY rowid DESC LIMIT ?`,
    ),
    open: database.prepare(
      `INSERT INTO holds (id, match, approver_group, quorum, exp, receipt, args, state, permit)
       VALUES (?, ?, ?, ?, ?, ?, ?, 'open', NULL)`,
    ),
    setState: database.prepare(
      "UPDATE holds SET state = ?, permit = ? WHERE id = ? AND state = ? AND state = 'open'",
    ),
    approvals: database.prepare('SELECT * FROM approvals WHERE hold = ? ORDER BY rowid'),
    approval: database.prepare('SELECT * FROM approvals WHERE digest = ?'),
    insertApproval: database.prepare(
      `INSERT INTO approvals (digest, hold, approver, verdict, iat, exp, text, recorded)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
  }
}

function holdOf(row: HoldRow): StoredHold {
  return {
    id: row.id,
    match: row.match as Digest,
    group: row.approver_group,
    quorum: row.quorum,
    exp: row.exp,
    receipt: row.receipt,
    args: row.args,
    state: row.state,
    permit: row.permit,
  }
}

function approvalOf(row: ApprovalRow): StoredApproval {
  return { ...row, digest: row.digest as Digest }
}

/** Inside an append: the state of the hold the append closes (`undefined` when it closes none). */
export function holdStateFor(
  statements: HoldStatements,
  options: AppendOptions,
): StoredHoldState | null | undefined {
  if (options.closeHold === undefined) return undefined
  return statements.get.get(options.closeHold.id)?.state ?? null
}

/** Inside an append, after its checks: refuses a PERMIT naming a hold that is not open. */
export function checkHold(
  statements: HoldStatements,
  options: AppendOptions,
  issued: IssuedReceipt,
): void {
  checkHoldClosing(options, holdStateFor(statements, options), issued)
}

/** Inside an append, with its receipt: opens or closes the hold it was asked to. */
export function writeHold(
  statements: HoldStatements,
  options: AppendOptions,
  issued: IssuedReceipt,
): void {
  const opening = options.openHold
  if (opening !== undefined && opening.id === issued.claims.jti) {
    statements.open.run(
      opening.id,
      opening.match,
      opening.group,
      opening.quorum,
      opening.exp,
      issued.token,
      opening.args,
    )
  }
  const closing = options.closeHold
  if (closing === undefined) return
  if (closing.close === 'used' && issued.claims.decision === 'PERMIT') {
    statements.setState.run('used', issued.claims.jti, closing.id, 'open')
  } else if (closing.close === 'expired') {
    statements.setState.run('expired', null, closing.id, 'open')
  }
}

/** The store's {@link HoldStore}; `read` runs one synchronous database call and fails closed. */
export function holdStoreOn(
  statements: HoldStatements,
  read: <T>(operation: string, run: () => T) => T,
): HoldStore {
  return {
    get: async (id) => {
      const row = read('holds.get', () => statements.get.get(id))
      return row === undefined ? undefined : holdOf(row)
    },
    byMatch: async (match, limit = 16) =>
      read('holds.byMatch', () => statements.byMatch.all(match, limit)).map(holdOf),
    list: async (options = {}) =>
      read('holds.list', () =>
        options.state === undefined
          ? statements.list.all(options.limit ?? 100)
          : statements.listState.all(options.state, options.limit ?? 100),
      ).map(holdOf),
    approvals: async (hold) =>
      read('holds.approvals', () => statements.approvals.all(hold)).map(approvalOf),
    approval: async (digest) => {
      const row = read('holds.approval', () => statements.approval.get(digest))
      return row === undefined ? undefined : approvalOf(row)
    },
    addApproval: async (approval, now) =>
      read('holds.addApproval', () =>
        statements.database
          .transaction(() => recordApproval(statements, approval, now))
          .immediate(),
      ),
  }
}

function recordApproval(
  statements: HoldStatements,
  approval: StoredApproval,
  now: number,
): StoredHold {
  const row = statements.get.get(approval.hold)
  const recorded = statements.approvals.all(approval.hold).map(approvalOf)
  const seen = statements.approval.get(approval.digest)
  refuseApproval(
    row === undefined ? undefined : holdOf(row),
    seen === undefined ? recorded : [...recorded, approvalOf(seen)],
    approval,
    now,
  )
  statements.insertApproval.run(
    approval.digest,
    approval.hold,
    approval.approver,
    approval.verdict,
    approval.iat,
    approval.exp,
    approval.text,
    approval.recorded,
  )
  if (approval.verdict === 'reject')
    statements.setState.run('rejected', null, approval.hold, 'open')
  return holdOf(statements.get.get(approval.hold) as HoldRow)
}
