import {
  type AppendContext,
  type AppendOptions,
  type ChainPosition,
  compileRetention,
  type HoldStore,
  type IssuedReceipt,
  type PolicyRecords,
  type ReceiptQuery,
  type RetentionRule,
  type RetentionRules,
  type SessionHistoryStore,
  type Store,
  type StoredCheckpoint,
  type StoredCheckpointNote,
  type StoredReceipt,
} from '@writ/core'
import type { Subtree } from '@writ/verify'
import { type Digest, type ReceiptClaims, type ReplayCache, WritError } from '@writ/verify'
import { type PendingAppend, runAppendBatch } from './append-transaction.js'
import { type Database, isDriverName, resolveDriver, type SqliteDriverName } from './driver.js'
import { type FileIdentity, fileIdentityOf, replacedStoreError } from './file-identity.js'
import { type GroupCommitOptions, GroupCommitQueue } from './group-commit.js'
import { holdStoreOn } from './hold-statements.js'
import { type OpenDatabaseOptions, openDatabase, validOpenOptions } from './open-database.js'
import { type QueryCache, queryReceiptRows } from './receipt-query.js'
import { recordsOn } from './record-statements.js'
import { sessionsOn } from './session-statements.js'
import {
  prepareStatements,
  type ReceiptRow,
  type SqliteReceiptColumns,
  type Statements,
} from './statements.js'
import { closedStoreError, toStoreError } from './store-error.js'
import { latestNote, readTreeNodes } from './tree-statements.js'
import {
  backgroundCheckpointer,
  inlineCheckpointer,
  type WalCheckpointer,
  type WalCheckpointMode,
  type WalCheckpointStats,
} from './wal-checkpointer.js'

/** Options of {@link createSqliteStore}. */
export interface SqliteStoreOptions {
  /** Path of the database file. Its directory must exist and be writable. */
  readonly path: string
  /**
   * `FULL` (default): a receipt survives a crash or power loss once `append` resolved.
   * `NORMAL`: in WAL mode, survives a crash of the process but may lose the last
   * commits on power loss. Do not use `NORMAL` where a PERMIT must be durable.
   */
  readonly synchronous?: 'FULL' | 'NORMAL'
  /** How long to wait for another writer's lock before refusing, in ms (default 5000). */
  readonly busyTimeoutMs?: number
  /**
   * Batch the appends of one turn of the event loop into one transaction (one fsync),
   * each resolved only after that transaction committed. `true` uses the defaults.
   */
  readonly groupCommit?: boolean | GroupCommitOptions
  /** Caps the file at this many pages (`PRAGMA max_page_count`), e.g. to test a full disk. */
  readonly maxPageCount?: number
  /**
   * Keep the arguments and context of the requests these rules name beside their receipts,
   * for `writ policy replay`. Off by default; read docs/policy-operations.md on what it
   * keeps before turning it on.
   */
  readonly retention?: readonly RetentionRule[]
  /**
   * The SQLite driver. `auto` (default): Node's built-in `node:sqlite` on Node 22.16 and
   * later, better-sqlite3 before. `node` or `better-sqlite3` picks one; a driver that is
   * not there (better-sqlite3 not installed, or no `node:sqlite`) fails the open with
   * `DEPENDENCY_MISSING`. Both write the same file format.
   */
  readonly driver?: SqliteDriverName
  /**
   * Where the write-ahead log is copied into the database file. `background` (the
   * default with `groupCommit`): on a worker thread with its own connection, so no commit
   * waits for the copy and its fsync (docs/performance.md measures what that does to the
   * tail). `inline` (the default without `groupCommit`): inside the commit that takes the
   * log past 1,000 pages, as SQLite does by default. Durability is the same either way.
   */
  readonly walCheckpoint?: WalCheckpointMode
}

/** Counters and sizes of a {@link SqliteStore}. */
export interface SqliteStoreStats {
  /** Receipts in the file, all chains. */
  readonly receipts: number
  /** Pages in the database file and their size in bytes. */
  readonly pageCount: number
  readonly pageSize: number
  /** Transactions this store committed for appends, and the appends they carried. */
  readonly batches: number
  readonly appends: number
  /** The largest number of appends one transaction carried. */
  readonly largestBatch: number
  /** The connection's journal mode (`wal`) and synchronous level, as SQLite reports them. */
  readonly journalMode: string
  readonly synchronous: 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA'
  /** The driver the file was opened with. */
  readonly driver: 'node' | 'better-sqlite3'
  /** Where the log is checkpointed, and how often the background thread did it. */
  readonly walCheckpoints: WalCheckpointStats
  /**
   * How long the append transactions took on the thread that runs them (BEGIN to
   * COMMIT: issuing, signing with a key in memory, writing, the log's fsync and any
   * checkpoint SQLite ran in it), as a histogram: `counts[i]` transactions, together
   * `totalMs[i]` ms, took at most `le[i]` ms and more than `le[i - 1]`; the last entry
   * of `counts` and `totalMs` holds those longer than every bound.
   */
  readonly transactionMs: TransactionTimes
}

/** A histogram of transaction durations, in milliseconds. */
export interface TransactionTimes {
  /** The buckets' upper bounds, in ms, ascending. */
  readonly le: readonly number[]
  /** Transactions per bucket; one more entry than `le`, for those longer than every bound. */
  readonly counts: readonly number[]
  /** The time those transactions took together, per bucket, in ms. */
  readonly totalMs: readonly number[]
  /** The longest transaction since the store opened, in ms. */
  readonly maxMs: number
}

/** The upper bounds (ms) of {@link TransactionTimes}' buckets. */
const TRANSACTION_BUCKETS = [0.25, 0.5, 1, 2, 5, 10, 20, 50, 100]

/** Result of {@link SqliteStore.checkpointWal}, as SQLite reports it. */
export interface WalCheckpointResult {
  /** True when another connection prevented a complete checkpoint. */
  readonly busy: boolean
  /** Frames in the write-ahead log, and how many of them were copied into the database. */
  readonly logFrames: number
  readonly checkpointedFrames: number
}

/** A {@link Store} kept in one SQLite file, with a few SQLite-specific extras. */
export interface SqliteStore extends Store {
  /** The file this store writes. */
  readonly path: string
  /**
   * Copies the write-ahead log into the database file (`PRAGMA wal_checkpoint`).
   * SQLite does this on its own every 1000 pages; call it to bound the log's size.
   */
  checkpointWal(mode?: 'PASSIVE' | 'FULL' | 'RESTART' | 'TRUNCATE'): WalCheckpointResult
  /** Counters and sizes, for metrics. */
  stats(): SqliteStoreStats
  /**
   * Every receipt row of a chain in `seq` order, with the columns kept beside each token
   * exactly as stored, for audit tools that hold the columns against the token.
   */
  rows(chainId: string): AsyncIterable<SqliteReceiptColumns>
  /** Shadow disagreements and, when `retention` is set, retained arguments. */
  readonly records: PolicyRecords
  /** Session histories, written with the receipts (`history` in policy conditions). */
  readonly sessions: SessionHistoryStore
}

const REPLAY_PURGE_INTERVAL_SECONDS = 60
/** Replay entries are kept this long past their expiry, to cover verifiers' clock skew. */
const REPLAY_RETENTION_SECONDS = 3600
const PAGE_SIZE = 256
const SYNCHRONOUS_LEVELS = ['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const
/** The background checkpointer is asked to run after this many committed appends. */
const CHECKPOINT_EVERY_APPENDS = 128

/**
 * Opens (creating if needed) the SQLite store at `options.path`: WAL mode,
 * `synchronous=FULL` unless told otherwise, schema migrated to the current version.
 * A new file, and its `-wal` and `-shm` files, are created readable and writable by
 * their owner only (0600), whatever the umask.
 * Throws a `WritError` with code `STORE_UNAVAILABLE` when the file cannot be opened
 * or written.
 *
 * Each `append` runs in one `BEGIN IMMEDIATE` transaction and resolves only after its
 * commit, so several processes can append to one chain in one file without forking it.
 *
 * @example
 * ```ts
 * const store = createSqliteStore({ path: './writ.db', groupCommit: true })
 * const gate = createGate({ policy, keys, issuer: 'https://authority.example', store })
 * ```
 */
export function createSqliteStore(options: SqliteStoreOptions): SqliteStore {
  const path = options.path
  if (typeof path !== 'string' || path.length === 0) {
    throw new WritError('STORE_UNAVAILABLE', 'The store needs a file path', {
      details: { operation: 'open', reason: 'path' },
    })
  }
  const synchronous = options.synchronous ?? 'FULL'
  if (synchronous !== 'FULL' && synchronous !== 'NORMAL') {
    throw new WritError('STORE_UNAVAILABLE', 'synchronous must be FULL or NORMAL', {
      details: { operation: 'open', reason: 'options' },
    })
  }
  // Checked before the file opens: a wrong rule leaves nothing open behind it.
  const retention =
    options.retention === undefined ? undefined : compileRetention(options.retention)
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000
  const maxPageCount = options.maxPageCount
  const driver = options.driver ?? 'auto'
  const walCheckpoint = options.walCheckpoint ?? (options.groupCommit ? 'background' : 'inline')
  if (
    !validOpenOptions(busyTimeoutMs, maxPageCount) ||
    !isDriverName(driver) ||
    (walCheckpoint !== 'background' && walCheckpoint !== 'inline')
  ) {
    throw new WritError(
      'STORE_UNAVAILABLE',
      "busyTimeoutMs and maxPageCount must be non-negative integers, driver 'auto', 'node' or 'better-sqlite3', walCheckpoint 'background' or 'inline'",
      { details: { operation: 'open', reason: 'options' } },
    )
  }
  const opened = openOrRefuse(path, {
    busyTimeoutMs,
    synchronous,
    maxPageCount,
    driver: resolveDriver(driver),
  })
  const { database, prepared } = opened
  const checkpointer =
    walCheckpoint === 'inline'
      ? inlineCheckpointer()
      : backgroundCheckpointer(
          database,
          { path, driver: prepared.driver, busyTimeoutMs },
          CHECKPOINT_EVERY_APPENDS,
        )
  return new SqliteStoreImplementation(
    path,
    database,
    prepared.statements,
    options.groupCommit,
    prepared.identity,
    prepared.driver,
    checkpointer,
    retention,
  )
}

/** Opens the file, mapping any failure to a `WritError`. */
function openOrRefuse(path: string, options: OpenDatabaseOptions) {
  try {
    return openStoreFile(path, options)
  } catch (error) {
    const mapped = toStoreError(error, 'open')
    if (WritError.isInstance(mapped)) throw mapped
    throw new WritError('STORE_UNAVAILABLE', `The store at ${path} cannot be opened`, {
      cause: error,
      details: { operation: 'open', reason: 'open' },
    })
  }
}

function openStoreFile(path: string, options: OpenDatabaseOptions) {
  return openDatabase(path, options, (database) => ({
    statements: prepareStatements(database),
    identity: fileIdentityOf(path) ?? ({ dev: -1, ino: -1 } as FileIdentity),
    driver: options.driver,
  }))
}

class SqliteStoreImplementation implements SqliteStore {
  /** Appends run in call order (one queue), so an asynchronous signer may sign ahead. */
  readonly appendsInOrder = true
  readonly path: string
  readonly replay: ReplayCache
  readonly holds: HoldStore
  readonly records: PolicyRecords
  readonly sessions: SessionHistoryStore
  readonly #flushRecords: () => void
  readonly #database: Database
  readonly #driver: 'node' | 'better-sqlite3'
  readonly #statements: Statements
  readonly #queries: QueryCache = new Map()
  readonly #queue: GroupCommitQueue | undefined
  readonly #checkpointer: WalCheckpointer
  #closed = false
  readonly #identity: FileIdentity
  /** Set once the file at `path` is found gone or replaced; every operation then fails. */
  #replaced: WritError | undefined
  #batches = 0
  readonly #transactionCounts = [...TRANSACTION_BUCKETS, 0].map(() => 0)
  readonly #transactionTotals = [...TRANSACTION_BUCKETS, 0].map(() => 0)
  #transactionMax = 0
  #appends = 0
  #largestBatch = 0
  #lastReplayPurge = 0

  constructor(
    path: string,
    database: Database,
    statements: Statements,
    groupCommit: boolean | GroupCommitOptions | undefined,
    identity: FileIdentity,
    driver: 'node' | 'better-sqlite3',
    checkpointer: WalCheckpointer,
    retention?: RetentionRules,
  ) {
    this.path = path
    this.#driver = driver
    this.#checkpointer = checkpointer
    this.#identity = identity
    this.#database = database
    this.#statements = statements
    this.#queue =
      groupCommit === undefined || groupCommit === false
        ? undefined
        : new GroupCommitQueue(
            (batch) => this.#write(batch),
            groupCommit === true ? {} : groupCommit,
          )
    this.replay = { claim: (jti, expiresAt) => this.#claim(jti, expiresAt) }
    this.holds = holdStoreOn(statements.holds, (operation, run) => this.#read(operation, run))
    const records = recordsOn(statements.records, retention, (operation, run) =>
      this.#read(operation, run),
    )
    this.records = records
    this.sessions = sessionsOn(statements.sessions, (operation, run) => this.#read(operation, run))
    this.#flushRecords = records.flush
  }

  append(
    chainId: string,
    options: AppendOptions,
    issue: (context: AppendContext) => IssuedReceipt,
  ): Promise<StoredReceipt> {
    return new Promise<StoredReceipt>((resolve, reject) => {
      if (this.#closed) {
        reject(closedStoreError('append'))
        return
      }
      if (typeof chainId !== 'string' || chainId.length === 0 || typeof issue !== 'function') {
        reject(
          new WritError('GATE_ERROR', 'append needs a chain id and an issuer', {
            details: { operation: 'append' },
          }),
        )
        return
      }
      const item: PendingAppend = { chainId, options, issue, resolve, reject }
      if (this.#queue === undefined) this.#write([item])
      else this.#queue.push(item)
    })
  }

  #write(batch: readonly PendingAppend[]): void {
    if (this.#closed) {
      for (const item of batch) item.reject(closedStoreError('append'))
      return
    }
    try {
      this.#checkFile('append')
    } catch (error) {
      for (const item of batch) item.reject(error)
      return
    }
    let committed: number
    const started = performance.now()
    try {
      committed = runAppendBatch(this.#database, this.#statements, batch).committed
      this.#timeTransaction(performance.now() - started)
    } catch (error) {
      // Not expected (every failure is settled per item), but a batch written from a
      // timer must never leave its callers waiting or crash the process. Items already
      // settled ignore the second settlement.
      for (const item of batch) item.reject(toStoreError(error, 'append'))
      return
    }
    if (committed > 0) {
      this.#batches++
      this.#appends += committed
      this.#largestBatch = Math.max(this.#largestBatch, committed)
      this.#checkpointer.committed(committed)
    }
  }

  #timeTransaction(ms: number): void {
    let bucket = 0
    while (bucket < TRANSACTION_BUCKETS.length && ms > (TRANSACTION_BUCKETS[bucket] as number))
      bucket++
    ;(this.#transactionCounts[bucket] as number)++
    this.#transactionTotals[bucket] = (this.#transactionTotals[bucket] as number) + ms
    this.#transactionMax = Math.max(this.#transactionMax, ms)
  }

  async head(chainId: string): Promise<ChainPosition> {
    this.#checkFile('head')
    const last = this.#read('head', () => this.#statements.head.get(chainId))
    return last === undefined
      ? { chainId, seq: 0, prev: null }
      : { chainId, seq: last.seq + 1, prev: last.digest as Digest }
  }

  async *receipts(
    chainId: string,
    options: { fromSeq?: number; limit?: number } = {},
  ): AsyncIterable<StoredReceipt> {
    const fromSeq = options.fromSeq ?? 0
    let next = Number.isFinite(fromSeq) ? Math.max(0, Math.floor(fromSeq)) : 0
    let remaining = options.limit ?? Number.POSITIVE_INFINITY
    if (Number.isNaN(remaining)) remaining = 0
    // Paged, so no statement stays open across an `await` of the consumer.
    while (remaining > 0) {
      const size = Math.min(PAGE_SIZE, remaining)
      const rows = this.#read('receipts', () =>
        this.#statements.receiptsPage.all(chainId, next, size),
      )
      for (const row of rows) yield toStoredReceipt(row)
      if (rows.length < size) return
      remaining -= rows.length
      next = (rows[rows.length - 1] as { seq: number }).seq + 1
    }
  }

  /**
   * Every receipt row of `chainId` in `seq` order, with the columns the store keeps beside
   * each token exactly as they are on disk. The columns are what queries filter on, and
   * anyone who can write the file can edit them without touching a signature: audit tools
   * (`writ chain verify`) hold each row against its token with this.
   */
  async *rows(chainId: string): AsyncIterable<SqliteReceiptColumns> {
    let next = 0
    for (;;) {
      const page = this.#read('rows', () => this.#statements.rowsPage.all(chainId, next, PAGE_SIZE))
      yield* page
      if (page.length < PAGE_SIZE) return
      next = (page[page.length - 1] as SqliteReceiptColumns).seq + 1
    }
  }

  async receipt(jti: string): Promise<StoredReceipt | undefined> {
    const row = this.#read('receipt', () => this.#statements.receiptByJti.get(jti))
    return row === undefined ? undefined : toStoredReceipt(row)
  }

  async queryReceipts(query: ReceiptQuery): Promise<StoredReceipt[]> {
    return this.#read('queryReceipts', () =>
      queryReceiptRows(this.#database, this.#queries, query),
    ).map(toStoredReceipt)
  }

  async receiptsByRequest(req: string): Promise<StoredReceipt[]> {
    return this.#read('receiptsByRequest', () => this.#statements.receiptsByRequest.all(req)).map(
      toStoredReceipt,
    )
  }

  async chains(): Promise<string[]> {
    return this.#read('chains', () => this.#statements.chains.all()).map((row) => row.chain_id)
  }

  async putCheckpoint(checkpoint: StoredCheckpoint): Promise<void> {
    this.#read('putCheckpoint', () =>
      this.#statements.insertCheckpoint.run(
        checkpoint.chainId,
        checkpoint.size,
        checkpoint.head,
        checkpoint.iat,
        checkpoint.token,
      ),
    )
  }

  async treeNodes(chainId: string, subtrees: readonly Subtree[]): Promise<Uint8Array[]> {
    return this.#read('treeNodes', () => readTreeNodes(this.#statements.tree, chainId, subtrees))
  }

  async putCheckpointNote(note: StoredCheckpointNote): Promise<void> {
    this.#read('putCheckpointNote', () =>
      this.#statements.tree.putNote.run(note.chainId, note.size, note.note),
    )
  }

  async latestCheckpointNote(chainId: string): Promise<StoredCheckpointNote | undefined> {
    return this.#read('latestCheckpointNote', () => latestNote(this.#statements.tree, chainId))
  }

  async latestCheckpoint(chainId: string): Promise<StoredCheckpoint | undefined> {
    const row = this.#read('latestCheckpoint', () => this.#statements.latestCheckpoint.get(chainId))
    if (row === undefined) return undefined
    return {
      chainId: row.chain_id,
      size: row.size,
      head: row.head as Digest | null,
      iat: row.iat,
      token: row.token,
    }
  }

  async #claim(jti: string, expiresAt: number): Promise<boolean> {
    if (typeof jti !== 'string' || jti.length === 0 || !Number.isFinite(expiresAt)) {
      throw new WritError('REPLAY_CACHE_UNAVAILABLE', 'claim needs a jti and a finite expiry', {
        details: { operation: 'claim' },
      })
    }
    return this.#read('claim', () => {
      const now = Math.floor(Date.now() / 1000)
      if (now - this.#lastReplayPurge >= REPLAY_PURGE_INTERVAL_SECONDS) {
        this.#statements.purgeReplay.run(now - REPLAY_RETENTION_SECONDS)
        this.#lastReplayPurge = now
      }
      return this.#statements.claimReplay.run(jti, expiresAt).changes === 1
    })
  }

  checkpointWal(
    mode: 'PASSIVE' | 'FULL' | 'RESTART' | 'TRUNCATE' = 'PASSIVE',
  ): WalCheckpointResult {
    if (!['PASSIVE', 'FULL', 'RESTART', 'TRUNCATE'].includes(mode)) {
      throw new WritError('STORE_UNAVAILABLE', 'Unknown WAL checkpoint mode', {
        details: { operation: 'checkpointWal', reason: 'options' },
      })
    }
    const [row] = this.#read(
      'checkpointWal',
      () =>
        this.#database.pragma(`wal_checkpoint(${mode})`) as {
          busy: number
          log: number
          checkpointed: number
        }[],
    )
    return {
      busy: row?.busy === 1,
      logFrames: row?.log ?? 0,
      checkpointedFrames: row?.checkpointed ?? 0,
    }
  }

  stats(): SqliteStoreStats {
    return this.#read('stats', () => ({
      receipts: (this.#statements.countReceipts.get() as { count: number }).count,
      pageCount: this.#database.pragma('page_count', { simple: true }) as number,
      pageSize: this.#database.pragma('page_size', { simple: true }) as number,
      batches: this.#batches,
      appends: this.#appends,
      largestBatch: this.#largestBatch,
      journalMode: this.#database.pragma('journal_mode', { simple: true }) as string,
      synchronous:
        SYNCHRONOUS_LEVELS[this.#database.pragma('synchronous', { simple: true }) as number] ??
        'OFF',
      driver: this.#driver,
      walCheckpoints: this.#checkpointer.stats(),
      transactionMs: {
        le: TRANSACTION_BUCKETS,
        counts: [...this.#transactionCounts],
        totalMs: [...this.#transactionTotals],
        maxMs: this.#transactionMax,
      },
    }))
  }

  async close(): Promise<void> {
    if (this.#closed) return
    // Appends already accepted are written (and acknowledged) before the file closes.
    this.#queue?.flush()
    this.#flushRecords()
    this.#closed = true
    // The thread's connection closes first: the store's, the last, then folds the log in.
    await this.#checkpointer.close()
    try {
      this.#database.close()
    } catch (error) {
      throw toStoreError(error, 'close')
    }
  }

  /**
   * Fails closed, for good, once the file this store opened is no longer at its path
   * (deleted, or another file renamed over it): writing on would extend a chain nobody
   * can find, and a restart would begin it again at position 0.
   */
  #checkFile(operation: string): void {
    if (this.#closed) throw closedStoreError(operation)
    if (this.#replaced === undefined) {
      const now = fileIdentityOf(this.path)
      if (now !== undefined && now.dev === this.#identity.dev && now.ino === this.#identity.ino)
        return
      this.#replaced = replacedStoreError(this.path, now === undefined ? 'missing' : 'replaced')
    }
    throw replacedStoreError(this.path, this.#replaced.details?.['file'] as string, operation)
  }

  /** Runs one synchronous database call, failing closed with a store error. */
  #read<T>(operation: string, run: () => T): T {
    if (this.#closed) throw closedStoreError(operation)
    if (this.#replaced !== undefined) this.#checkFile(operation)
    try {
      return run()
    } catch (error) {
      throw toStoreError(error, operation)
    }
  }
}

function toStoredReceipt(row: ReceiptRow): StoredReceipt {
  return { token: row.token, claims: JSON.parse(row.claims) as ReceiptClaims }
}
