import { type Database, openWithDriver } from './driver.js'
import { createPrivateFile, tightenCompanionFiles } from './private-file.js'
import { migrate } from './schema.js'

/** How a Writ SQLite file is opened. */
export interface OpenDatabaseOptions {
  readonly busyTimeoutMs: number
  readonly synchronous: 'FULL' | 'NORMAL'
  readonly maxPageCount: number | undefined
  /** The driver, already resolved from `auto`. */
  readonly driver: 'node' | 'better-sqlite3'
}

/** Whether the busy timeout and page cap are usable: non-negative and positive integers. */
export function validOpenOptions(busyTimeoutMs: number, maxPageCount: number | undefined): boolean {
  return (
    Number.isSafeInteger(busyTimeoutMs) &&
    busyTimeoutMs >= 0 &&
    (maxPageCount === undefined || (Number.isSafeInteger(maxPageCount) && maxPageCount >= 1))
  )
}

/**
 * Opens (creating it 0600 if missing) the file at `path` in WAL mode, migrates its
 * schema and runs `prepare` on it. On any failure the database is closed again and the
 * original error is thrown, for the caller to map to its own code.
 */
export function openDatabase<T>(
  path: string,
  options: OpenDatabaseOptions,
  prepare: (database: Database) => T,
): { readonly database: Database; readonly prepared: T } {
  let database: Database | undefined
  try {
    // Created 0600 before SQLite opens it; SQLite gives -wal and -shm the same mode.
    createPrivateFile(path)
    database = openWithDriver(options.driver, path, options.busyTimeoutMs)
    database.pragma('journal_mode = WAL')
    database.pragma(`synchronous = ${options.synchronous}`)
    if (options.maxPageCount !== undefined)
      database.pragma(`max_page_count = ${options.maxPageCount}`)
    migrate(database)
    tightenCompanionFiles(path)
    return { database, prepared: prepare(database) }
  } catch (error) {
    try {
      database?.close()
    } catch {
      // Already failing; the original error is the one to report.
    }
    throw error
  }
}
