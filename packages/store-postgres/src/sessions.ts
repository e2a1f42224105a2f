/**
 * Session histories on PostgreSQL (`history` in policy conditions), shared by every
 * instance: a version row per session, locked (`FOR UPDATE`) inside the append
 * transaction, and one row per decision written with its receipt. Two instances
 * appending to one session therefore take turns, and an append judged on a history that
 * has since moved is refused (`STORE_CONFLICT`), so the gate judges it again.
 */
import {
  type AppendOptions,
  type ReceiptClaims,
  type SessionHistoryStore,
  type StoredSessionEntry,
  sessionMovedError,
} from '@writ/core'
import type pg from 'pg'
import { type Connection, inTransaction } from './connection.js'

type Table = Connection['table']

/** Creates the tables if needed, one instance at a time. */
export async function createSessionTables(connection: Connection): Promise<void> {
  const { table } = connection
  await connection.withClient('sessions', (client) =>
    inTransaction(client, async () => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
        `writ-sessions:${table('sessions')}`,
      ])
      await client.query(`
        CREATE TABLE IF NOT EXISTS ${table('sessions')} (
          id TEXT PRIMARY KEY,
          version BIGINT NOT NULL CHECK (version >= 0)
        );
        CREATE TABLE IF NOT EXISTS ${table('session_entries')} (
          session TEXT NOT NULL,
          version BIGINT NOT NULL,
          action TEXT NOT NULL,
          decision TEXT NOT NULL,
          rule TEXT,
          time BIGINT NOT NULL,
          tags TEXT NOT NULL,
          PRIMARY KEY (session, version)
        );
        CREATE INDEX IF NOT EXISTS session_entries_time
          ON ${table('session_entries')} (session, time);`)
    }),
  )
}

/**
 * Inside the append transaction, before issuing: locks the session's row (creating it)
 * and refuses a session that moved past `expect`. Resolves with its version.
 */
export async function lockSession(
  client: pg.PoolClient,
  table: Table,
  options: AppendOptions,
): Promise<void> {
  const session = options.session
  if (session === undefined) return
  await client.query(
    `INSERT INTO ${table('sessions')} (id, version) VALUES ($1, 0) ON CONFLICT (id) DO NOTHING`,
    [session.id],
  )
  const row = await client.query<{ version: string }>(
    `SELECT version FROM ${table('sessions')} WHERE id = $1 FOR UPDATE`,
    [session.id],
  )
  const version = Number(row.rows[0]?.version ?? 0)
  if (session.expect !== undefined && version !== session.expect)
    throw sessionMovedError(session.id)
}

/** Inside the append transaction, with the receipt: writes its entry and drops old ones. */
export async function writeSession(
  client: pg.PoolClient,
  table: Table,
  options: AppendOptions,
  claims: ReceiptClaims,
): Promise<void> {
  const session = options.session
  if (session === undefined) return
  await client.query(
    `WITH bumped AS (
       UPDATE ${table('sessions')} SET version = version + 1 WHERE id = $1 RETURNING version
     )
     INSERT INTO ${table('session_entries')} (session, version, action, decision, rule, time, tags)
     SELECT $1, version, $2, $3, $4, $5, $6 FROM bumped`,
    [
      session.id,
      claims.act.name,
      claims.decision,
      claims.rule,
      options.now,
      JSON.stringify([...session.tags]),
    ],
  )
  await client.query(`DELETE FROM ${table('session_entries')} WHERE session = $1 AND time < $2`, [
    session.id,
    options.now - session.keepSeconds,
  ])
}

interface EntryRow {
  readonly action: string
  readonly decision: StoredSessionEntry['decision']
  readonly rule: string | null
  readonly time: string
  readonly tags: string
}

/** The {@link SessionHistoryStore} of a PostgreSQL store (one snapshot per read). */
export function sessionsOn(connection: Connection): SessionHistoryStore {
  const { table, withClient } = connection
  return {
    read: (id, { since, max }) =>
      withClient('session', (client) =>
        inTransaction(client, async () => {
          await client.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ')
          const version = await client.query<{ version: string }>(
            `SELECT version FROM ${table('sessions')} WHERE id = $1`,
            [id],
          )
          const rows = await client.query<EntryRow>(
            `SELECT action, decision, rule, time, tags FROM (
               SELECT * FROM ${table('session_entries')} WHERE session = $1 AND time >= $2
               ORDER BY version DESC LIMIT $3
             ) AS recent ORDER BY version`,
            [id, since, max + 1],
          )
          const entries = rows.rows.map((row) => ({
            action: row.action,
            decision: row.decision,
            rule: row.rule,
            time: Number(row.time),
            tags: JSON.parse(row.tags) as string[],
          }))
          return { entries, version: Number(version.rows[0]?.version ?? 0) }
        }),
      ),
  }
}
