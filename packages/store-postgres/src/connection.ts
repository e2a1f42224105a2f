import { WritError } from '@writ/verify'
import pg from 'pg'
import { toStoreError } from './errors.js'
import { migrations } from './schema.js'

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

/** Opens a pool (or adopts the caller's) and migrates the schema to the current version. */
export async function connect(options: ConnectionOptions): Promise<Connection> {
  const schema = options.schema ?? 'writ'
  if (!identifier.test(schema))
    throw new WritError('STORE_UNAVAILABLE', `Invalid schema name "${schema}"`)
  const timeoutMs = options.timeoutMs ?? 5000
  const ownsPool = options.pool === undefined
  const pool =
    options.pool ??
    new pg.Pool({
      ...(options.connectionString === undefined
        ? {}
        : { connectionString: options.connectionString }),
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
      statement_timeout: timeoutMs,
    })
  // An idle client that loses its server emits 'error' on the pool; without a
  // listener Node would crash the process. The next query reports the fault.
  pool.on('error', () => {})
  let closed = false
  const table = (name: string) => `${schema}.${name}`

  const withClient = async <T>(
    operation: string,
    work: (client: pg.PoolClient) => Promise<T>,
  ): Promise<T> => {
    if (closed)
      throw new WritError('STORE_UNAVAILABLE', 'The store is closed', { details: { operation } })
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

  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    if (ownsPool) await pool.end()
  }

  try {
    await withClient('migrate', async (client) => {
      await client.query('BEGIN')
      try {
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`writ-migrate:${schema}`])
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`)
        await client.query(`CREATE TABLE IF NOT EXISTS ${table('meta')} (version INTEGER NOT NULL)`)
        const current = await client.query<{ version: number }>(
          `SELECT version FROM ${table('meta')}`,
        )
        let version = current.rows[0]?.version ?? 0
        if (current.rows.length === 0)
          await client.query(`INSERT INTO ${table('meta')} (version) VALUES (0)`)
        if (version > migrations.length) {
          throw new WritError(
            'STORE_UNAVAILABLE',
            `Schema ${schema} is at version ${version}; this code knows up to ${migrations.length}`,
          )
        }
        for (; version < migrations.length; version++) {
          await client.query((migrations[version] as string).replaceAll('{schema}', schema))
        }
        await client.query(`UPDATE ${table('meta')} SET version = $1`, [migrations.length])
        await client.query('COMMIT')
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {})
        throw error
      }
    })
  } catch (error) {
    // A pool created here must not outlive a failed open.
    await close().catch(() => {})
    throw error
  }
  return { table, withClient, close }
}
