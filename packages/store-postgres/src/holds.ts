/**
 * Holds and approvals (spec section 11) on PostgreSQL, beside the receipts and shared by
 * every instance. A hold is opened and closed inside the append transaction that writes
 * its receipt, under a row lock (`SELECT … FOR UPDATE`), so however many instances race,
 * one hold yields at most one PERMIT. An approval is recorded in its own transaction under
 * the same lock, once per digest and once per approver; a reject closes the hold.
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
import type pg from 'pg'
import { type Connection, inTransaction } from './connection.js'

type Table = Connection['table']

/** Creates the tables if needed, one instance at a time. */
export async function createHoldTables(connection: Connection): Promise<void> {
  const { table } = connection
  await connection.withClient('holds', (client) =>
    inTransaction(client, async () => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `writ-holds:${table('holds')}`,
      ])
      await client.query(`
        CREATE TABLE IF NOT EXISTS ${table('holds')} (
          id TEXT PRIMARY KEY,
          match TEXT NOT NULL,
          approver_group TEXT NOT NULL,
          quorum INTEGER NOT NULL CHECK (quorum >= 1),
          exp BIGINT NOT NULL,
          receipt TEXT NOT NULL,
          args TEXT NOT NULL,
          state TEXT NOT NULL CHECK (state IN ('open', 'rejected', 'used', 'expired')),
          permit TEXT UNIQUE,
          opened BIGSERIAL
        );
        CREATE INDEX IF NOT EXISTS holds_match ON ${table('holds')} (match);
        CREATE TABLE IF NOT EXISTS ${table('approvals')} (
          digest TEXT PRIMARY KEY,
          hold TEXT NOT NULL REFERENCES ${table('holds')} (id),
          approver TEXT NOT NULL,
          verdict TEXT NOT NULL CHECK (verdict IN ('approve', 'reject')),
          iat BIGINT NOT NULL,
          exp BIGINT NOT NULL,
          text TEXT NOT NULL,
          recorded BIGINT NOT NULL,
          received BIGSERIAL,
          UNIQUE (hold, approver)
        );`)
    }),
  )
}

interface HoldRow {
  readonly id: string
  readonly match: string
  readonly approver_group: string
  readonly quorum: number
  readonly exp: string
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
  readonly iat: string
  readonly exp: string
  readonly text: string
  readonly recorded: string
}

const COLUMNS = 'id, match, approver_group, quorum, exp, receipt, args, state, permit'
const APPROVAL_COLUMNS = 'digest, hold, approver, verdict, iat, exp, text, recorded'

function holdOf(row: HoldRow): StoredHold {
  return {
    id: row.id,
    match: row.match as Digest,
    group: row.approver_group,
    quorum: Number(row.quorum),
    exp: Number(row.exp),
    receipt: row.receipt,
    args: row.args,
    state: row.state,
    permit: row.permit,
  }
}

function approvalOf(row: ApprovalRow): StoredApproval {
  return {
    digest: row.digest as Digest,
    hold: row.hold,
    approver: row.approver,
    verdict: row.verdict,
    iat: Number(row.iat),
    exp: Number(row.exp),
    text: row.text,
    recorded: Number(row.recorded),
  }
}

/** Inside an append: locks the hold the append closes and reads its state. */
export async function lockHoldFor(
  client: pg.PoolClient,
  table: Table,
  options: AppendOptions,
): Promise<StoredHoldState | null | undefined> {
  if (options.closeHold === undefined) return undefined
  const result = await client.query<{ state: StoredHoldState }>(
    `SELECT state FROM ${table('holds')} WHERE id = $1 FOR UPDATE`,
    [options.closeHold.id],
  )
  return result.rows[0]?.state ?? null
}

/** Inside an append, with its receipt: refuses a PERMIT naming a hold that is not open, then opens or closes holds. */
export async function writeHold(
  client: pg.PoolClient,
  table: Table,
  options: AppendOptions,
  state: StoredHoldState | null | undefined,
  issued: IssuedReceipt,
): Promise<void> {
  checkHoldClosing(options, state, issued)
  const opening = options.openHold
  if (opening !== undefined && opening.id === issued.claims.jti) {
    await client.query(
      `INSERT INTO ${table('holds')} (id, match, approver_group, quorum, exp, receipt, args, state) VALUES ($1, $2, $3, $4, $5, $6, $7, 'open')`,
      [
        opening.id,
        opening.match,
        opening.group,
        opening.quorum,
        opening.exp,
        issued.token,
        opening.args,
      ],
    )
  }
  const closing = options.closeHold
  if (closing === undefined || state !== 'open') return
  if (closing.close === 'used' && issued.claims.decision === 'PERMIT') {
    await client.query(
      `UPDATE ${table('holds')} SET state = 'used', permit = $2 WHERE id = $1 AND state = 'open'`,
      [closing.id, issued.claims.jti],
    )
  } else if (closing.close === 'expired') {
    await client.query(
      `UPDATE ${table('holds')} SET state = 'expired' WHERE id = $1 AND state = 'open'`,
      [closing.id],
    )
  }
}

/** The store's {@link HoldStore} on `connection`. */
export function holdStoreOn(connection: Connection): HoldStore {
  const { table, withClient } = connection
  const holds = (operation: string, sql: string, values: unknown[]) =>
    withClient(operation, (client) => client.query<HoldRow>(sql, values)).then((result) =>
      result.rows.map(holdOf),
    )
  return {
    get: async (id) =>
      (await holds('holds.get', `SELECT ${COLUMNS} FROM ${table('holds')} WHERE id = $1`, [id]))[0],
    byMatch: (match, limit = 16) =>
      holds(
        'holds.byMatch',
        `SELECT ${COLUMNS} FROM ${table('holds')} WHERE match = $1 ORDER BY opened DESC LIMIT $2`,
        [match, limit],
      ),
    list: (options = {}) =>
      options.state === undefined
        ? holds(
            'holds.list',
            `SELECT ${COLUMNS} FROM ${table('holds')} ORDER BY opened DESC LIMIT $1`,
            [options.limit ?? 100],
          )
        : holds(
            'holds.list',
            `SELECT ${COLUMNS} FROM ${table('holds')} WHERE state = $1 ORDER BY opened DESC LIMIT $2`,
            [options.state, options.limit ?? 100],
          ),
    approvals: async (hold) => {
      const result = await withClient('holds.approvals', (client) =>
        client.query<ApprovalRow>(
          `SELECT ${APPROVAL_COLUMNS} FROM ${table('approvals')} WHERE hold = $1 ORDER BY received`,
          [hold],
        ),
      )
      return result.rows.map(approvalOf)
    },
    approval: async (digest) => {
      const result = await withClient('holds.approval', (client) =>
        client.query<ApprovalRow>(
          `SELECT ${APPROVAL_COLUMNS} FROM ${table('approvals')} WHERE digest = $1`,
          [digest],
        ),
      )
      const row = result.rows[0]
      return row === undefined ? undefined : approvalOf(row)
    },
    addApproval: (approval, now) =>
      withClient('holds.addApproval', (client) =>
        inTransaction(client, () => recordApproval(client, table, approval, now)),
      ),
  }
}

async function recordApproval(
  client: pg.PoolClient,
  table: Table,
  approval: StoredApproval,
  now: number,
): Promise<StoredHold> {
  const locked = await client.query<HoldRow>(
    `SELECT ${COLUMNS} FROM ${table('holds')} WHERE id = $1 FOR UPDATE`,
    [approval.hold],
  )
  const row = locked.rows[0]
  const recorded = await client.query<ApprovalRow>(
    `SELECT ${APPROVAL_COLUMNS} FROM ${table('approvals')} WHERE hold = $1 OR digest = $2`,
    [approval.hold, approval.digest],
  )
  refuseApproval(
    row === undefined ? undefined : holdOf(row),
    recorded.rows.map(approvalOf),
    approval,
    now,
  )
  await client.query(
    `INSERT INTO ${table('approvals')} (digest, hold, approver, verdict, iat, exp, text, recorded) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      approval.digest,
      approval.hold,
      approval.approver,
      approval.verdict,
      approval.iat,
      approval.exp,
      approval.text,
      approval.recorded,
    ],
  )
  if (approval.verdict === 'reject') {
    await client.query(
      `UPDATE ${table('holds')} SET state = 'rejected' WHERE id = $1 AND state = 'open'`,
      [approval.hold],
    )
  }
  const after = await client.query<HoldRow>(
    `SELECT ${COLUMNS} FROM ${table('holds')} WHERE id = $1`,
    [approval.hold],
  )
  return holdOf(after.rows[0] as HoldRow)
}
