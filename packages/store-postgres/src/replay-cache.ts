import { type ReplayCache, WritError } from '@writ/verify'
import { type Connection, type ConnectionOptions, connect } from './connection.js'

/** Claims between two purges of expired entries. */
const CLAIMS_PER_PURGE = 1000

/** Options shared by the store's replay cache and {@link createPostgresReplayCache}. */
export interface ReplayClaimOptions {
  /**
   * How long after its `exp` an entry is kept, in seconds, to cover clock skew between
   * hosts (default 3600). Older entries are purged every 1000 claims.
   */
  readonly graceSeconds?: number
  /** Clock in seconds, for purging. Default: the system clock. */
  readonly now?: () => number
}

/**
 * The replay cache on the `replay` table: one `INSERT … ON CONFLICT (jti) DO NOTHING`
 * per claim, which PostgreSQL makes atomic across every connection and host. A failure
 * rejects with a store `WritError`, which `verifyPermit` turns into
 * `REPLAY_CACHE_UNAVAILABLE`.
 */
export function replayOn(connection: Connection, options: ReplayClaimOptions = {}): ReplayCache {
  const graceSeconds = options.graceSeconds ?? 3600
  const now = options.now ?? (() => Math.floor(Date.now() / 1000))
  const { table, withClient } = connection
  let claimsSincePurge = 0
  return {
    async claim(jti: string, expiresAt: number): Promise<boolean> {
      if (typeof jti !== 'string' || jti.length === 0 || !Number.isSafeInteger(expiresAt)) {
        throw new WritError('REPLAY_CACHE_UNAVAILABLE', 'claim needs a jti and an integer expiry', {
          details: { operation: 'replay', reason: 'input' },
        })
      }
      return withClient('replay', async (client) => {
        if (++claimsSincePurge >= CLAIMS_PER_PURGE) {
          claimsSincePurge = 0
          await client.query(`DELETE FROM ${table('replay')} WHERE expires_at < $1`, [
            now() - graceSeconds,
          ])
        }
        const result = await client.query(
          `INSERT INTO ${table('replay')} (jti, expires_at) VALUES ($1, $2) ON CONFLICT (jti) DO NOTHING`,
          [jti, expiresAt],
        )
        return result.rowCount === 1
      })
    },
  }
}

/** Options of {@link createPostgresReplayCache}. */
export interface PostgresReplayCacheOptions extends ConnectionOptions, ReplayClaimOptions {}

/** A {@link ReplayCache} in PostgreSQL, shared by every replica on every host. */
export interface PostgresReplayCache extends ReplayCache {
  /** `true` the first time any replica claims `jti`, `false` after. */
  claim(jti: string, expiresAt: number): Promise<boolean>
  /** Ends the pool it created (a pool passed in is left open). */
  close(): Promise<void>
}

/**
 * A replay cache for a receiving service whose replicas run on several hosts: each
 * replica opens its own cache on the same database (and schema), and a receipt is
 * accepted by exactly one of them. It needs no authority; pass it as `replay` to
 * `verifyPermit` (or to the receiving side's guard). It uses the same `replay` table as
 * `createPostgresStore`, so an authority's store and its receiving services may share one.
 *
 * Each claim is one `INSERT … ON CONFLICT (jti) DO NOTHING`, atomic across connections and
 * hosts; entries are purged after their expiry plus `graceSeconds`. Failures fail closed:
 * a database that cannot be reached when the cache opens, or when it claims, gives
 * `REPLAY_CACHE_UNAVAILABLE` (the store's error is the `cause`), and `verifyPermit`
 * refuses the receipt. A failure is never a first use.
 *
 * @example
 * ```ts
 * const replay = await createPostgresReplayCache({ connectionString: process.env.DATABASE_URL })
 * await verifyPermit(receipt, keys, { action: 'payments.transfer', args: rawBody, replay })
 * ```
 */
export async function createPostgresReplayCache(
  options: PostgresReplayCacheOptions,
): Promise<PostgresReplayCache> {
  let connection: Connection
  try {
    connection = await connect(options)
  } catch (error) {
    throw unavailable('open', error)
  }
  const replay = replayOn(connection, options)
  return {
    async claim(jti: string, expiresAt: number): Promise<boolean> {
      try {
        return await replay.claim(jti, expiresAt)
      } catch (error) {
        throw unavailable('claim', error)
      }
    },
    close: () => connection.close(),
  }
}

function unavailable(operation: 'open' | 'claim', error: unknown): WritError {
  if (WritError.isInstance(error) && error.code === 'REPLAY_CACHE_UNAVAILABLE') return error
  return new WritError(
    'REPLAY_CACHE_UNAVAILABLE',
    `The replay cache cannot ${operation === 'open' ? 'reach its database' : 'record a claim'}`,
    {
      cause: error,
      details: {
        operation,
        ...(WritError.isInstance(error) ? { reason: error.code } : {}),
      },
    },
  )
}
