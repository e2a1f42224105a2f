import { WritError } from '@writ/verify'
import pg from 'pg'
import { toStoreError } from './errors.js'
import { migrations } from './schema.js'
import { backfillTrees } from './tree.js'

/** The migration that adds Merkle trees: schemas from before it get theirs built. */
const TREE_MIGRATION = migrations.findIndex((sql) => sql.includes('.tree_nodes ('))

/** How to reach the database: a URL, or a pool the caller owns. */
export interface ConnectionOptions {
  /** A `postgres://` URL. Either this or `pool`. */
  readonly connectionString?: string
  /** An existing `pg` pool to use instead (it is not ended on close). */
  readonly pool?: pg.Pool
  /** Schema holding Writ's tables (created if missing). Default `writ`. */
  readonly schema?: string
  /** Pool size when a pool is created here. Default 10. */
  readonly maxConnections?: number
  /** How long to wait for a connection or a statement before refusing. Default 5000 ms. */
  readonly timeoutMs?: number
}

/** A pool, the schema's tables, and one fail-closed way to borrow a client. */
export interface Connection {
  readonly table: (name: string) => string
  /** Runs `work` on a pooled client; every failure becomes a store `WritError`. */
  withClient<T>(operation: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T>
  /** Ends the pool if this connection created it; later calls refuse `STORE_UNAVAILABLE`. */
  close(): Promise<void>
}

const identifier = /^[a-z_][a-z0-9_]{0,62}$/

/**
 * Runs `work` between `BEGIN` and `COMMIT` on `client`; any failure rolls back (a
 * rollback that fails too is left to the pool, which discards the broken client) and
 * rethrows, so nothing is half-written.
 */
export async function inTransaction<T>(
  client: pg.PoolClient,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  await client.query('BEGIN')
  try {
    const result = await work(client)
    await client.query('COMMIT')
    return result
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw error
  }
}

function createPool(options: ConnectionOptions): pg.Pool {
  const timeoutMs = options.timeoutMs ?? 5000
  const pool = new pg.Pool({
    ...(options.connectionString === undefined
      ? {}
      : { connectionString: options.connectionString }),
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    statement_timeout: timeoutMs,
  })
  return pool
}

/**
 * Borrows a client for `work` and gives it back, discarding it when its connection may
 * be broken. Every failure becomes a store `WritError`.
 */
async function borrow<T>(
  pool: pg.Pool,
  operation: string,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  let client: pg.PoolClient
  try {
    client = await pool.connect()
  } catch (error) {
    throw toStoreError(error, operation)
  }
  let broken = false
  // A connection lost while checked out is reported on the client; the query in
  // flight rejects on its own, so the event only needs a listener.
  const ignore = () => {
    broken = true
  }
  client.on('error', ignore)
  try {
    return await work(client)
  } catch (error) {
    broken = !WritError.isInstance(error) || error.code === 'STORE_UNAVAILABLE'
    throw toStoreError(error, operation)
  } finally {
    client.off('error', ignore)
    client.release(broken)
  }
}

/** Brings `schema` to the current version, one instance at a time (an advisory lock). */
async function migrate(client: pg.PoolClient, schema: string): Promise<void> {
  const meta = `${schema}.meta`
  await inTransaction(client, async () => {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`writ-migrate:${schema}`])
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
    await client.query(`CREATE TABLE IF NOT EXISTS ${meta} (version INTEGER NOT NULL)`)
    const current = await client.query<{ version: number }>(`SELECT version FROM ${meta}`)
    let version = current.rows[0]?.version ?? 0
    if (current.rows.length === 0) await client.query(`INSERT INTO ${meta} (version) VALUES (0)`)
    if (version > migrations.length) {
      throw new WritError(
        'STORE_UNAVAILABLE',
        `Schema ${schema} is at version ${version}; this code knows up to ${migrations.length}`,
      )
    }
    const before = version
    for (; version < migrations.length; version++) {
      await client.query((migrations[version] as string).replaceAll('{schema}', schema))
    }
    if (before > 0 && before <= TREE_MIGRATION) await backfillTrees(client, schema)
    await client.query(`UPDATE ${meta} SET version = $1`, [migrations.length])
  })
}

/** Opens a pool (or adopts the caller's) and migrates the schema to the current version. */
export async function connect(options: ConnectionOptions): Promise<Connection> {
  const schema = options.schema ?? 'writ'
  if (!identifier.test(schema))
    throw new WritError('STORE_UNAVAILABLE', `Invalid schema name "${schema}"`)
  const ownsPool = options.pool === undefined
  const pool = options.pool ?? createPool(options)
  // An idle client that loses its server emits 'error' on the pool; without a
  // listener Node would crash the process. The next query reports the fault.
  pool.on('error', () => {})
  let closed = false
  const connection: Connection = {
    table: (name) => `${schema}.${name}`,
    async withClient(operation, work) {
      if (closed)
        throw new WritError('STORE_UNAVAILABLE', 'The store is closed', { details: { operation } })
      return borrow(pool, operation, work)
    },
    async close() {
      if (closed) return
      closed = true
      if (ownsPool) await pool.end()
    },
  }
  try {
    await connection.withClient('migrate', (client) => migrate(client, schema))
  } catch (error) {
    // A pool created here must not outlive a failed open.
    await connection.close().catch(() => {})
    throw error
  }
  return connection
}
