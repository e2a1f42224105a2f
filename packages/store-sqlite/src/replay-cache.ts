import { type ReplayCache, WritError } from '@writ/verify'
import { isDriverName, resolveDriver, type SqliteDriverName } from './driver.js'
import { openDatabase, validOpenOptions } from './open-database.js'
import { toStoreError } from './store-error.js'

/** Options of {@link createSqliteReplayCache}. */
export interface SqliteReplayCacheOptions {
  /**
   * Path of the SQLite file every replica on this host shares. Its directory must exist and
   * be writable. It may be the same file as a `createSqliteStore` store: they share one table.
   */
  readonly path: string
  /** How long to wait for another process's lock before refusing, in ms (default 5000). */
  readonly busyTimeoutMs?: number
  /**
   * How long after its `exp` an entry is kept, in seconds, to cover clock skew between
   * replicas (default 3600). Entries older than that are purged once a minute.
   */
  readonly graceSeconds?: number
  /** Clock in seconds, for purging. Default: the system clock. */
  readonly now?: () => number
  /** Caps the file at this many pages (`PRAGMA max_page_count`), e.g. to test a full disk. */
  readonly maxPageCount?: number
  /** The SQLite driver, as for `createSqliteStore` (default `auto`). */
  readonly driver?: SqliteDriverName
}

/** A {@link ReplayCache} in one SQLite file, shared by every process on one host. */
export interface SqliteReplayCache extends ReplayCache {
  /** The file this cache writes. */
  readonly path: string
  /** `true` the first time any process on this file claims `jti`, `false` after. */
  claim(jti: string, expiresAt: number): boolean
  /** Closes the file. A claim after `close` throws `REPLAY_CACHE_UNAVAILABLE`. */
  close(): Promise<void>
}

const PURGE_INTERVAL_SECONDS = 60

/**
 * A replay cache for a receiving service whose replicas run as several processes on one
 * host: each process opens its own cache on the same file, and a receipt is accepted by
 * exactly one of them. It needs no authority and no store; pass it as `replay` to
 * `verifyPermit` (or to the receiving side's guard).
 *
 * Each claim is one `INSERT … ON CONFLICT (jti) DO NOTHING` in its own transaction, in
 * WAL mode with a busy timeout, so two processes racing for one `jti` cannot both win.
 * Commits are `synchronous=FULL`: a claim that returned `true` survives a crash or a power
 * loss, so a restarted replica cannot accept the receipt again. A new file and its `-wal`
 * and `-shm` files are created 0600.
 *
 * Failures fail closed: a file that cannot be opened throws `REPLAY_CACHE_UNAVAILABLE`,
 * and a claim that cannot be written (file full, locked past the timeout, closed) throws
 * `REPLAY_CACHE_UNAVAILABLE` with the store's error as `cause`. `verifyPermit` refuses
 * the receipt with `REPLAY_CACHE_UNAVAILABLE`; it never treats a failure as a first use.
 * Several hosts need `createPostgresReplayCache` from `@writ/store-postgres`.
 *
 * @example
 * ```ts
 * const replay = createSqliteReplayCache({ path: '/var/lib/payments/writ-replay.db' })
 * await verifyPermit(receipt, keys, { action: 'payments.transfer', args: rawBody, replay })
 * ```
 */
export function createSqliteReplayCache(options: SqliteReplayCacheOptions): SqliteReplayCache {
  const { path } = options
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000
  const graceSeconds = options.graceSeconds ?? 3600
  const now = options.now ?? (() => Math.floor(Date.now() / 1000))
  if (
    typeof path !== 'string' ||
    path.length === 0 ||
    !validOpenOptions(busyTimeoutMs, options.maxPageCount) ||
    !Number.isSafeInteger(graceSeconds) ||
    graceSeconds < 0 ||
    !isDriverName(options.driver ?? 'auto')
  ) {
    throw new WritError(
      'REPLAY_CACHE_UNAVAILABLE',
      'The replay cache needs a file path and non-negative integer options',
      { details: { operation: 'open', reason: 'options' } },
    )
  }
  let opened: ReturnType<typeof openReplayFile>
  try {
    opened = openReplayFile(path, busyTimeoutMs, options.maxPageCount, options.driver ?? 'auto')
  } catch (error) {
    if (WritError.isInstance(error) && error.code === 'DEPENDENCY_MISSING') throw error
    throw unavailable('open', error)
  }
  return replayCacheOn(path, opened, { graceSeconds, now })
}

function openReplayFile(
  path: string,
  busyTimeoutMs: number,
  maxPageCount: number | undefined,
  driver: SqliteDriverName,
) {
  const options = {
    busyTimeoutMs,
    synchronous: 'FULL',
    maxPageCount,
    driver: resolveDriver(driver),
  } as const
  return openDatabase(path, options, (database) => ({
    claim: database.prepare<[string, number]>(
      'INSERT INTO replay (jti, expires_at) VALUES (?, ?) ON CONFLICT (jti) DO NOTHING',
    ),
    purge: database.prepare<[number]>('DELETE FROM replay WHERE expires_at < ?'),
  }))
}

function checkClaim(jti: string, expiresAt: number, closed: boolean): void {
  if (typeof jti !== 'string' || jti.length === 0 || !Number.isFinite(expiresAt)) {
    throw new WritError('REPLAY_CACHE_UNAVAILABLE', 'claim needs a jti and a finite expiry', {
      details: { operation: 'claim', reason: 'input' },
    })
  }
  if (closed) {
    throw new WritError('REPLAY_CACHE_UNAVAILABLE', 'The replay cache is closed', {
      details: { operation: 'claim', reason: 'closed' },
    })
  }
}

function replayCacheOn(
  path: string,
  { database, prepared }: ReturnType<typeof openReplayFile>,
  clock: { readonly graceSeconds: number; readonly now: () => number },
): SqliteReplayCache {
  let closed = false
  let lastPurge = Number.NEGATIVE_INFINITY
  return {
    path,
    claim(jti: string, expiresAt: number): boolean {
      checkClaim(jti, expiresAt, closed)
      try {
        const current = clock.now()
        if (current - lastPurge >= PURGE_INTERVAL_SECONDS) {
          prepared.purge.run(current - clock.graceSeconds)
          lastPurge = current
        }
        // One statement, one transaction: of several processes claiming one jti, one inserts.
        return prepared.claim.run(jti, expiresAt).changes === 1
      } catch (error) {
        throw unavailable('claim', error)
      }
    },
    async close(): Promise<void> {
      if (closed) return
      closed = true
      database.close()
    },
  }
}

/** A failure of the file as `REPLAY_CACHE_UNAVAILABLE`, with the store's error as its cause. */
function unavailable(operation: 'open' | 'claim', error: unknown): WritError {
  const cause = toStoreError(error, operation)
  const storeCode = WritError.isInstance(cause) ? cause.code : undefined
  return new WritError(
    'REPLAY_CACHE_UNAVAILABLE',
    `The replay cache cannot ${operation === 'open' ? 'open its file' : 'record a claim'}`,
    { cause, details: { operation, ...(storeCode === undefined ? {} : { reason: storeCode }) } },
  )
}
