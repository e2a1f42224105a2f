import { WritError } from '@writ/verify'
import { sqliteCodeOf } from './driver.js'

/**
 * Turns a failure of SQLite into the {@link WritError} a caller can act on. Every
 * fault fails closed: the append it interrupted is not recorded and no receipt is
 * handed out.
 *
 * - `SQLITE_FULL` (disk or `max_page_count` reached) → `STORE_FULL`
 * - `SQLITE_BUSY` / `SQLITE_LOCKED` past the busy timeout → `STORE_UNAVAILABLE`, `details.reason: 'locked'`
 * - a unique violation (a second appender took the position, or a `jti` was reused) → `STORE_CONFLICT`
 * - anything else SQLite reports (cannot open, read-only, I/O error, corrupt file) → `STORE_UNAVAILABLE`
 *
 * Errors that are not SQLite's (for example one thrown by the issuer) pass through unchanged.
 *
 * @param error - what was thrown
 * @param operation - what the store was doing, recorded in `details.operation`
 */
export function toStoreError(error: unknown, operation: string): unknown {
  if (WritError.isInstance(error)) return error
  const sqliteCode = sqliteCodeOf(error)
  if (sqliteCode === undefined) return error
  if (sqliteCode === 'SQLITE_FULL') {
    return new WritError('STORE_FULL', `The store is full (${operation})`, {
      cause: error,
      details: { operation, sqliteCode },
    })
  }
  if (sqliteCode.startsWith('SQLITE_BUSY') || sqliteCode.startsWith('SQLITE_LOCKED')) {
    return new WritError(
      'STORE_UNAVAILABLE',
      `The store is locked by another writer (${operation})`,
      {
        cause: error,
        details: { operation, sqliteCode, reason: 'locked' },
      },
    )
  }
  if (sqliteCode === 'SQLITE_CONSTRAINT_PRIMARYKEY' || sqliteCode === 'SQLITE_CONSTRAINT_UNIQUE') {
    const target = String((error as Error).message).includes('jti') ? 'jti' : 'chain-position'
    return new WritError('STORE_CONFLICT', `The store refused a conflicting write (${operation})`, {
      cause: error,
      details: { operation, sqliteCode, reason: target },
    })
  }
  return new WritError('STORE_UNAVAILABLE', `The store is unavailable (${operation})`, {
    cause: error,
    details: { operation, sqliteCode, reason: 'sqlite' },
  })
}

/** The error every operation on a closed store rejects with. */
export function closedStoreError(operation: string): WritError {
  return new WritError('STORE_UNAVAILABLE', `The store is closed (${operation})`, {
    details: { operation, reason: 'closed' },
  })
}
