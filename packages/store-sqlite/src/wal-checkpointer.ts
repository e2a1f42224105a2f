/**
 * Where the write-ahead log is copied into the database file.
 *
 * Left to itself, SQLite checkpoints inside the commit that takes the log past 1,000
 * pages: that commit copies the pages and fsyncs the database file before it returns, on
 * the thread that commits, so every decision waiting behind it waits for that copy too.
 * The background checkpointer does the copy on a thread of its own, with a connection of
 * its own (`PRAGMA wal_checkpoint(PASSIVE)`, which never blocks the writer), asked after
 * every `everyAppends` committed appends; the log is then reused from its start rather than
 * grown. Durability does not move: a receipt is durable once its commit synced the log.
 * SQLite's own checkpoint stays armed at a higher mark in case the thread falls behind,
 * and takes over at its usual mark if the thread fails.
 */
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'
import type { Database } from './driver.js'
import type { CheckpointReply, CheckpointWorkerData } from './wal-checkpoint-worker.js'

/** Where the log is checkpointed: on a thread of its own, or inside commits (SQLite's default). */
export type WalCheckpointMode = 'background' | 'inline'

/** Counters of the checkpointer, for {@link SqliteStoreStats}. */
export interface WalCheckpointStats {
  /** `inline` also when the background thread failed and SQLite took over. */
  readonly mode: WalCheckpointMode
  /** Background checkpoints run. */
  readonly runs: number
  /** Checkpoints that failed, and a thread that could not start or stopped. */
  readonly failures: number
}

/** What the store tells the checkpointer and asks of it. */
export interface WalCheckpointer {
  /** After each commit: how many appends it carried. */
  committed(appends: number): void
  stats(): WalCheckpointStats
  /** Stops the thread (after the checkpoint it is running, if any). */
  close(): Promise<void>
}

/** SQLite's own mark (pages), kept while the thread checkpoints, in case it falls behind. */
const FALLBACK_PAGES = 10_000
/** SQLite's default mark, restored when the thread fails. */
const DEFAULT_PAGES = 1_000
/** How long `close` waits for the thread before stopping it. */
const CLOSE_WAIT_MS = 5_000

/** The thread's program: beside this module once built; from `dist` when run from the sources. */
function workerPath(): string {
  const here = fileURLToPath(import.meta.url)
  const built = join(dirname(here), 'wal-checkpoint-worker.js')
  if (here.endsWith('.js') || existsSync(built)) return built
  return join(dirname(here), '..', 'dist', 'wal-checkpoint-worker.js')
}

/** Gives checkpoints back to SQLite at its usual mark. */
function restoreSqliteMark(database: Database): void {
  try {
    database.pragma(`wal_autocheckpoint = ${DEFAULT_PAGES}`)
  } catch {
    // The store is closing: nothing is committed after this.
  }
}

/** Resolves once `worker` has exited, for whatever reason. */
function exitOf(worker: Worker): Promise<void> {
  return new Promise((resolve) => worker.on('exit', () => resolve()))
}

/** SQLite checkpoints inside commits, as it does by default. */
export function inlineCheckpointer(): WalCheckpointer {
  return {
    committed() {},
    stats: () => ({ mode: 'inline', runs: 0, failures: 0 }),
    close: async () => {},
  }
}

/**
 * Starts the thread and raises SQLite's own mark, or, when either fails, leaves SQLite
 * its usual mark and returns `undefined`.
 */
function startWorker(database: Database, data: CheckpointWorkerData): Worker | undefined {
  let worker: Worker | undefined
  try {
    worker = new Worker(workerPath(), { workerData: data })
    worker.unref()
    database.pragma(`wal_autocheckpoint = ${FALLBACK_PAGES}`)
    return worker
  } catch {
    void worker?.terminate()
    restoreSqliteMark(database)
    return undefined
  }
}

/**
 * Starts the checkpoint thread for `database`, the store's connection to `data.path`.
 * Never throws: a thread that cannot start or open the file leaves SQLite's own
 * checkpoint at its default mark, and {@link WalCheckpointStats.mode} says `inline`.
 */
export function backgroundCheckpointer(
  database: Database,
  data: CheckpointWorkerData,
  everyAppends: number,
): WalCheckpointer {
  let mode: WalCheckpointMode = 'background'
  let ready = false
  let running = false
  let pending = 0
  let runs = 0
  let failures = 0
  let exited = false
  const worker = startWorker(database, data)
  if (worker === undefined) {
    return { ...inlineCheckpointer(), stats: () => ({ mode: 'inline', runs: 0, failures: 1 }) }
  }
  const request = () => {
    if (mode !== 'background' || !ready || running || pending < everyAppends) return
    running = true
    pending = 0
    worker.postMessage('checkpoint')
  }
  const fail = () => {
    if (mode === 'inline') return
    mode = 'inline'
    failures++
    restoreSqliteMark(database)
  }
  worker.on('message', (reply: CheckpointReply) => {
    if (reply.kind === 'ready') ready = true
    else {
      running = false
      runs++
      if (reply.kind === 'failed') failures++
    }
    request()
  })
  worker.on('error', fail)
  const done = exitOf(worker).then(() => {
    exited = true
    fail()
  })
  return {
    committed(appends) {
      pending += appends
      request()
    },
    stats: () => ({ mode, runs, failures }),
    async close() {
      if (exited) return
      mode = 'inline'
      worker.postMessage('close')
      const timer = setTimeout(() => void worker.terminate(), CLOSE_WAIT_MS)
      await done
      clearTimeout(timer)
    },
  }
}
