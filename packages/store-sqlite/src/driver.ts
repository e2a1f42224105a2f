// The SQLite driver behind the store: Node's own `node:sqlite` where Node has it, or
// better-sqlite3. Both are reached through the small interface below, which is the part
// of better-sqlite3's API the store uses; `node:sqlite` is adapted to it.
import { createRequire } from 'node:module'
import { WritError } from '@writ/verify'

/** Which SQLite driver a store opens its file with. */
export type SqliteDriverName = 'auto' | 'node' | 'better-sqlite3'

/** What `run` reports. */
export interface RunResult {
  readonly changes: number | bigint
  readonly lastInsertRowid: number | bigint
}

/** A prepared statement taking positional parameters `P` and returning rows `R`. */
export interface Statement<P extends unknown[] = unknown[], R = unknown> {
  run(...params: P): RunResult
  get(...params: P): R | undefined
  all(...params: P): R[]
  iterate(...params: P): IterableIterator<R>
}

/** A function run in a transaction, callable plainly (`BEGIN`) or with `.immediate()`. */
export interface Transaction<T> {
  (): T
  immediate(): T
}

/** An open SQLite file. */
export interface Database {
  prepare<P extends unknown[] = unknown[], R = unknown>(sql: string): Statement<P, R>
  exec(sql: string): void
  /** Runs `PRAGMA source`: every row, or with `simple` the first column of the first row. */
  pragma(source: string, options?: { readonly simple?: boolean }): unknown
  /** Runs `fn` in a transaction (a savepoint when one is already open); rolls back if it throws. */
  transaction<T>(fn: () => T): Transaction<T>
  readonly inTransaction: boolean
  close(): void
}

/** The part of `node:sqlite` the store uses (Node 20's types do not have the module). */
interface NodeDatabase {
  readonly isTransaction: boolean
  prepare(sql: string): {
    get(): Record<string, unknown> | undefined
    all(): Record<string, unknown>[]
  }
  exec(sql: string): void
  close(): void
}
interface NodeSqlite {
  readonly DatabaseSync: new (path: string) => NodeDatabase
}

let usable: NodeSqlite | null | undefined

/** `node:sqlite` when this Node has it with everything the store needs, else `undefined`. */
function nodeSqlite(): NodeSqlite | undefined {
  if (usable === undefined) usable = probeNodeSqlite() ?? null
  return usable ?? undefined
}

function probeNodeSqlite(): NodeSqlite | undefined {
  try {
    const module = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule?.(
      'node:sqlite',
    ) as NodeSqlite | undefined
    if (module === undefined) return undefined
    // isTransaction (Node 22.16, 24) tells the store when SQLite rolled a transaction back itself.
    const probe = new module.DatabaseSync(':memory:')
    const hasIt = typeof probe.isTransaction === 'boolean'
    probe.close()
    return hasIt ? module : undefined
  } catch {
    return undefined
  }
}

/** The driver `auto` picks on this Node: `node` when `node:sqlite` is usable, else `better-sqlite3`. */
export function resolveDriver(driver: SqliteDriverName): 'node' | 'better-sqlite3' {
  if (driver === 'node' || driver === 'better-sqlite3') return driver
  return nodeSqlite() === undefined ? 'better-sqlite3' : 'node'
}

/** Whether `driver` is one of the names {@link SqliteDriverName} allows. */
export function isDriverName(driver: unknown): driver is SqliteDriverName {
  return driver === 'auto' || driver === 'node' || driver === 'better-sqlite3'
}

/**
 * Opens `path` with `driver`. Throws `DEPENDENCY_MISSING` when the driver is not there:
 * better-sqlite3 not installed, or a Node without a usable `node:sqlite`.
 */
export function openWithDriver(
  driver: 'node' | 'better-sqlite3',
  path: string,
  busyTimeoutMs: number,
): Database {
  if (driver === 'node') {
    const module = nodeSqlite()
    if (module === undefined) {
      throw new WritError(
        'DEPENDENCY_MISSING',
        `driver 'node' needs node:sqlite with DatabaseSync#isTransaction (Node 22.16 or later); this is Node ${process.versions.node}: use driver 'better-sqlite3'`,
        { details: { operation: 'open', reason: 'driver', driver } },
      )
    }
    const database = new module.DatabaseSync(path)
    database.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`)
    return new NodeSqliteDatabase(database)
  }
  const BetterSqlite3 = loadBetterSqlite3()
  return new BetterSqlite3(path, { timeout: busyTimeoutMs }) as unknown as Database
}

function loadBetterSqlite3(): typeof import('better-sqlite3') {
  try {
    return createRequire(import.meta.url)('better-sqlite3') as typeof import('better-sqlite3')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error
    throw new WritError(
      'DEPENDENCY_MISSING',
      `The SQLite store needs better-sqlite3 on Node ${process.versions.node} (or with driver 'better-sqlite3'): run npm install better-sqlite3`,
      {
        cause: error,
        details: { operation: 'open', reason: 'driver', missing: 'better-sqlite3' },
      },
    )
  }
}

/** `node:sqlite`'s `DatabaseSync`, shaped like better-sqlite3's `Database`. */
class NodeSqliteDatabase implements Database {
  readonly #database: NodeDatabase
  #savepoints = 0

  constructor(database: NodeDatabase) {
    this.#database = database
  }

  get inTransaction(): boolean {
    return this.#database.isTransaction
  }

  prepare<P extends unknown[] = unknown[], R = unknown>(sql: string): Statement<P, R> {
    return this.#database.prepare(sql) as unknown as Statement<P, R>
  }

  exec(sql: string): void {
    this.#database.exec(sql)
  }

  pragma(source: string, options?: { readonly simple?: boolean }): unknown {
    const statement = this.#database.prepare(`PRAGMA ${source}`)
    if (options?.simple !== true) return statement.all()
    const row = statement.get()
    return row === undefined ? undefined : Object.values(row)[0]
  }

  transaction<T>(fn: () => T): Transaction<T> {
    const run = (begin: string): T => {
      if (this.#database.isTransaction) return this.#nested(fn)
      this.#database.exec(begin)
      try {
        const result = fn()
        this.#database.exec('COMMIT')
        return result
      } catch (error) {
        if (this.#database.isTransaction) this.#database.exec('ROLLBACK')
        throw error
      }
    }
    return Object.assign(() => run('BEGIN'), { immediate: () => run('BEGIN IMMEDIATE') })
  }

  #nested<T>(fn: () => T): T {
    const name = `writ_nested_${++this.#savepoints}`
    this.#database.exec(`SAVEPOINT ${name}`)
    try {
      const result = fn()
      this.#database.exec(`RELEASE ${name}`)
      return result
    } catch (error) {
      if (this.#database.isTransaction) {
        this.#database.exec(`ROLLBACK TO ${name}`)
        this.#database.exec(`RELEASE ${name}`)
      }
      throw error
    } finally {
      this.#savepoints--
    }
  }

  close(): void {
    this.#database.close()
  }
}

const PRIMARY_CODES = [
  'OK',
  'ERROR',
  'INTERNAL',
  'PERM',
  'ABORT',
  'BUSY',
  'LOCKED',
  'NOMEM',
  'READONLY',
  'INTERRUPT',
  'IOERR',
  'CORRUPT',
  'NOTFOUND',
  'FULL',
  'CANTOPEN',
  'PROTOCOL',
  'EMPTY',
  'SCHEMA',
  'TOOBIG',
  'CONSTRAINT',
  'MISMATCH',
  'MISUSE',
  'NOLFS',
  'AUTH',
  'FORMAT',
  'RANGE',
  'NOTADB',
] as const
/** Extended codes the store tells apart (SQLite's numbers). */
const EXTENDED_CODES: Readonly<Record<number, string>> = {
  261: 'BUSY_RECOVERY',
  517: 'BUSY_SNAPSHOT',
  773: 'BUSY_TIMEOUT',
  262: 'LOCKED_SHAREDCACHE',
  1555: 'CONSTRAINT_PRIMARYKEY',
  2067: 'CONSTRAINT_UNIQUE',
  275: 'CONSTRAINT_CHECK',
  1299: 'CONSTRAINT_NOTNULL',
  1032: 'READONLY_DBMOVED',
}

/**
 * SQLite's name of the error (`SQLITE_FULL`, `SQLITE_CONSTRAINT_UNIQUE`, …) when `error`
 * comes from SQLite through either driver, else `undefined`.
 */
export function sqliteCodeOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined
  const { code, errcode, name } = error as { code?: unknown; errcode?: unknown; name?: unknown }
  // better-sqlite3: a SqliteError whose code is the name.
  if (name === 'SqliteError' && typeof code === 'string' && code.startsWith('SQLITE_')) return code
  // node:sqlite: ERR_SQLITE_ERROR with the extended result code as a number.
  if (code !== 'ERR_SQLITE_ERROR' || typeof errcode !== 'number') return undefined
  const named = EXTENDED_CODES[errcode] ?? PRIMARY_CODES[errcode & 0xff]
  return named === undefined ? `SQLITE_${errcode}` : `SQLITE_${named}`
}
