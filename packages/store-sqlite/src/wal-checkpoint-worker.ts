// The background checkpointer's thread (wal-checkpointer.ts): its own connection to the
// store's file, which copies the write-ahead log into the database file when asked, so
// that the copy and its fsync never hold up the thread that commits receipts.
import { parentPort, workerData } from 'node:worker_threads'
import { openWithDriver } from './driver.js'

/** What the store hands the thread. */
export interface CheckpointWorkerData {
  readonly path: string
  readonly driver: 'node' | 'better-sqlite3'
  readonly busyTimeoutMs: number
}

/** What the thread says once its connection is open, and after each `checkpoint` message. */
export type CheckpointReply = { readonly kind: 'ready' | 'done' | 'failed' }

const port = parentPort
if (port === null) throw new Error('wal-checkpoint-worker runs as a worker thread')
const { path, driver, busyTimeoutMs } = workerData as CheckpointWorkerData
const database = openWithDriver(driver, path, busyTimeoutMs)

port.on('message', (message: unknown) => {
  if (message === 'close') {
    database.close()
    port.close()
    return
  }
  let reply: CheckpointReply
  try {
    // PASSIVE: copies what no reader still needs, and never waits for the writer.
    database.pragma('wal_checkpoint(PASSIVE)')
    reply = { kind: 'done' }
  } catch {
    reply = { kind: 'failed' }
  }
  port.postMessage(reply)
})
port.postMessage({ kind: 'ready' } satisfies CheckpointReply)
