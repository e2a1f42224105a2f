import {
  type AppendContext,
  type AppendOptions,
  type ChainPosition,
  compileRetention,
  type IssuedReceipt,
  type LimitCheck,
  type RetentionRule,
  type Store,
  type StoredCheckpoint,
  type StoredReceipt,
} from '@writ/core'
import { type Digest, type ReceiptClaims, tokenDigest, WritError } from '@writ/verify'
import type pg from 'pg'
import { checkIssued, type Frontier, receiptRow, sortedLimits, writeBatch } from './append-batch.js'
import { ChainQueues } from './chain-queue.js'
import { latestCheckpointNote, putCheckpointNote } from './checkpoint-notes.js'
import { type Connection, type ConnectionOptions, connect, inTransaction } from './connection.js'
import { createHoldTables, holdStoreOn, lockHoldFor, writeHold } from './holds.js'
import { queryReceiptTokens } from './receipt-query.js'
import { createRecordTables, recordsOn } from './records.js'
import { type ReplayClaimOptions, replayOn } from './replay-cache.js'
import { createSessionTables, lockSession, sessionsOn, writeSession } from './sessions.js'
import { readTreeNodes, writeTreeLeaf } from './tree.js'

export { checkIssued, sortedLimits } from './append-batch.js'

/** Options of {@link createPostgresStore}. */
export interface PostgresStoreOptions extends ConnectionOptions, ReplayClaimOptions {
  /**
   * Keep the arguments and context of the requests these rules name beside their receipts,
   * for `writ policy replay`. Off by default; read docs/policy-operations.md on what it
   * keeps before turning it on.
   */
  readonly retention?: readonly RetentionRule[]
}

function decodeClaims(token: string): ReceiptClaims {
  const part = token.split('.')[1] ?? ''
  return JSON.parse(new TextDecoder().decode(base64urlBytes(part))) as ReceiptClaims
}

function base64urlBytes(text: string): Uint8Array {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/')
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4))
  return Uint8Array.from(binary, (character) => character.charCodeAt(0))
}

const stored = (token: string): StoredReceipt => ({ token, claims: decodeClaims(token) })

type Table = Connection['table']

/**
 * A {@link Store} on PostgreSQL, for several authority instances sharing one
 * database. Each instance appends to its own chain; limits and the replay cache
 * are shared, so a daily limit holds across every instance.
 *
 * `append` runs in one transaction, shared with the other appends to the same
 * chain that were waiting (group commit): it locks the chain's head row, takes a
 * transaction-scoped advisory lock per limit key (in sorted order, so instances
 * never deadlock), sums each rolling window, lets the issuer sign, writes the
 * receipts and their reservations, and commits before any of them resolves. Every
 * failure rolls back and surfaces as a `WritError` (`STORE_UNAVAILABLE`,
 * `STORE_FULL`, `STORE_CONFLICT`); nothing committed earlier is touched.
 *
 * @example
 * ```ts
 * const store = await createPostgresStore({ connectionString: process.env.DATABASE_URL })
 * const gate = createGate({ policy, keys, issuer, store, chainId: `instance-${hostname()}` })
 * ```
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  // Checked before connecting: a wrong rule leaves no pool open behind it.
  const retention =
    options.retention === undefined ? undefined : compileRetention(options.retention)
  const connection = await connect(options)
  await createHoldTables(connection)
  await createRecordTables(connection)
  await createSessionTables(connection)
  // One append alone in its transaction: the way back when a batch's statement fails.
  const single = (request: AppendRequest) =>
    connection.withClient('append', (client) =>
      inTransaction(client, () => appendIn(client, connection.table, request)),
    )
  // The tree's right edge after this instance's last batch on each chain (a few hashes).
  const frontiers = new Map<string, Frontier>()
  const queues = new ChainQueues((chainId, batch) =>
    writeBatch(
      connection,
      chainId,
      batch,
      (item) => single({ chainId, appendOptions: item.options, issue: item.issue }),
      frontiers,
    ),
  )
  return {
    append: (chainId, appendOptions, issue) =>
      new Promise((resolve, reject) =>
        queues.push({ chainId, options: appendOptions, issue, resolve, reject }),
      ),
    head: (chainId) => headOf(connection, chainId),
    receipts: (chainId, range = {}) => receiptPages(connection, chainId, range),
    receipt: (jti) => receiptById(connection, jti),
    receiptsByRequest: (req) => receiptsByRequest(connection, req),
    queryReceipts: async (query) => (await queryReceiptTokens(connection, query)).map(stored),
    chains: () => chainIds(connection),
    putCheckpoint: (checkpoint) => putCheckpoint(connection, checkpoint),
    latestCheckpoint: (chainId) => latestCheckpoint(connection, chainId),
    treeNodes: (chainId, subtrees) =>
      connection.withClient('treeNodes', (client) =>
        readTreeNodes(client, connection.table, chainId, subtrees),
      ),
    putCheckpointNote: (note) => putCheckpointNote(connection, note),
    latestCheckpointNote: (chainId) => latestCheckpointNote(connection, chainId),
    replay: replayOn(connection, options),
    holds: holdStoreOn(connection),
    records: recordsOn(connection, retention),
    sessions: sessionsOn(connection),
    close: () => connection.close(),
  }
}

interface AppendRequest {
  readonly chainId: string
  readonly appendOptions: AppendOptions
  readonly issue: (context: AppendContext) => IssuedReceipt
}

/**
 * One append inside its transaction: lock the chain's head → sum each limit's window
 * under its lock → let the issuer sign → check what it signed → write the receipt, the
 * new head and the reservations.
 */
async function appendIn(
  client: pg.PoolClient,
  table: Table,
  { chainId, appendOptions, issue }: AppendRequest,
): Promise<StoredReceipt> {
  const position = await lockHead(client, table, chainId)
  const limits = sortedLimits(appendOptions.limits ?? [])
  const exceeded = await firstExceeded(client, table, limits, appendOptions.now)
  // Sessions before holds, as a batch takes them, so the two never wait on each other in a circle.
  await lockSession(client, table, appendOptions)
  const hold = await lockHoldFor(client, table, appendOptions)
  const issued = issue(hold === undefined ? { position, exceeded } : { position, exceeded, hold })
  checkIssued(issued, position, exceeded)
  await writeReceipt(client, table, position, issued)
  await writeHold(client, table, appendOptions, hold, issued)
  await writeTreeLeaf(client, table, chainId, position.seq, issued.token)
  await writeSession(client, table, appendOptions, issued.claims)
  if (issued.reserve && exceeded === null)
    await reserve(client, table, limits, appendOptions.now, issued.claims.jti)
  return { token: issued.token, claims: issued.claims }
}

/** Creates the chain's head row if needed and locks it until the transaction ends. */
async function lockHead(
  client: pg.PoolClient,
  table: Table,
  chainId: string,
): Promise<ChainPosition> {
  await client.query(
    `INSERT INTO ${table('chains')} (chain_id, next_seq, head) VALUES ($1, 0, NULL) ON CONFLICT (chain_id) DO NOTHING`,
    [chainId],
  )
  const head = await client.query<{ next_seq: string; head: string | null }>(
    `SELECT next_seq, head FROM ${table('chains')} WHERE chain_id = $1 FOR UPDATE`,
    [chainId],
  )
  const row = head.rows[0]
  if (!row) throw new WritError('STORE_UNAVAILABLE', `Chain ${chainId} vanished during append`)
  return { chainId, seq: Number(row.next_seq), prev: row.head as Digest | null }
}

/** Locks each limit's key and sums its window; the first limit the request would pass, or null. */
async function firstExceeded(
  client: pg.PoolClient,
  table: Table,
  limits: readonly LimitCheck[],
  now: number,
): Promise<LimitCheck | null> {
  let exceeded: LimitCheck | null = null
  for (const limit of limits) {
    await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
      `writ-limit:${limit.key}`,
    ])
    const sum = await client.query<{ total: number }>(
      `SELECT coalesce(sum(amount), 0)::float8 AS total FROM ${table('reservations')} WHERE key = $1 AND at > $2`,
      [limit.key, now - limit.windowSeconds],
    )
    const total = Number(sum.rows[0]?.total ?? 0)
    if (exceeded === null && total + limit.amount > limit.max) exceeded = limit
  }
  return exceeded
}

async function writeReceipt(
  client: pg.PoolClient,
  table: Table,
  position: ChainPosition,
  issued: IssuedReceipt,
): Promise<void> {
  const digest = tokenDigest(issued.token)
  await client.query(
    `INSERT INTO ${table('receipts')} (chain_id, seq, jti, req, decision, iat, digest, prev, token, agent, action, rule, reason, policy) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
    [position.chainId, ...receiptRow({ position, issued, digest })],
  )
  await client.query(
    `UPDATE ${table('chains')} SET next_seq = next_seq + 1, head = $2 WHERE chain_id = $1`,
    [position.chainId, digest],
  )
}

async function reserve(
  client: pg.PoolClient,
  table: Table,
  limits: readonly LimitCheck[],
  now: number,
  jti: string,
): Promise<void> {
  for (const limit of limits) {
    await client.query(
      `INSERT INTO ${table('reservations')} (key, at, amount, limit_id, jti) VALUES ($1, $2, $3, $4, $5)`,
      [limit.key, now, limit.amount, limit.id, jti],
    )
  }
}

function headOf({ table, withClient }: Connection, chainId: string): Promise<ChainPosition> {
  return withClient('head', async (client) => {
    const result = await client.query<{ next_seq: string; head: string | null }>(
      `SELECT next_seq, head FROM ${table('chains')} WHERE chain_id = $1`,
      [chainId],
    )
    const row = result.rows[0]
    return row
      ? { chainId, seq: Number(row.next_seq), prev: row.head as Digest | null }
      : { chainId, seq: 0, prev: null }
  })
}

const PAGE_SIZE = 1000

/** A chain's receipts in order, read a page at a time. */
function receiptPages(
  { table, withClient }: Connection,
  chainId: string,
  range: { fromSeq?: number; limit?: number },
): AsyncIterable<StoredReceipt> {
  return {
    async *[Symbol.asyncIterator]() {
      let next = range.fromSeq ?? 0
      let remaining = range.limit ?? Number.POSITIVE_INFINITY
      while (remaining > 0) {
        const take = Math.min(PAGE_SIZE, remaining)
        const page = await withClient('receipts', (client) =>
          client.query<{ token: string; seq: string }>(
            `SELECT token, seq FROM ${table('receipts')} WHERE chain_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3`,
            [chainId, next, take],
          ),
        )
        for (const row of page.rows) yield stored(row.token)
        if (page.rows.length < take) return
        next = Number(page.rows[page.rows.length - 1]?.seq) + 1
        remaining -= page.rows.length
      }
    },
  }
}

async function receiptById(
  { table, withClient }: Connection,
  jti: string,
): Promise<StoredReceipt | undefined> {
  const result = await withClient('receipt', (client) =>
    client.query<{ token: string }>(`SELECT token FROM ${table('receipts')} WHERE jti = $1`, [jti]),
  )
  const token = result.rows[0]?.token
  return token === undefined ? undefined : stored(token)
}

async function receiptsByRequest(
  { table, withClient }: Connection,
  req: string,
): Promise<StoredReceipt[]> {
  const result = await withClient('receiptsByRequest', (client) =>
    client.query<{ token: string }>(
      `SELECT token FROM ${table('receipts')} WHERE req = $1 ORDER BY chain_id, seq`,
      [req],
    ),
  )
  return result.rows.map((row) => stored(row.token))
}

async function chainIds({ table, withClient }: Connection): Promise<string[]> {
  const result = await withClient('chains', (client) =>
    client.query<{ chain_id: string }>(`SELECT chain_id FROM ${table('chains')} ORDER BY chain_id`),
  )
  return result.rows.map((row) => row.chain_id)
}

async function putCheckpoint(
  { table, withClient }: Connection,
  checkpoint: StoredCheckpoint,
): Promise<void> {
  await withClient('putCheckpoint', (client) =>
    client.query(
      `INSERT INTO ${table('checkpoints')} (chain_id, size, head, iat, token) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (token) DO NOTHING`,
      [checkpoint.chainId, checkpoint.size, checkpoint.head, checkpoint.iat, checkpoint.token],
    ),
  )
}

async function latestCheckpoint(
  { table, withClient }: Connection,
  chainId: string,
): Promise<StoredCheckpoint | undefined> {
  const result = await withClient('latestCheckpoint', (client) =>
    client.query<{ size: string; head: string | null; iat: string; token: string }>(
      `SELECT size, head, iat, token FROM ${table('checkpoints')} WHERE chain_id = $1 ORDER BY size DESC, iat DESC, recorded DESC LIMIT 1`,
      [chainId],
    ),
  )
  const row = result.rows[0]
  if (!row) return undefined
  return {
    chainId,
    size: Number(row.size),
    head: row.head as Digest | null,
    iat: Number(row.iat),
    token: row.token,
  }
}
