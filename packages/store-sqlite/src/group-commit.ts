import type { PendingAppend } from './pending-append.js'

/** Options of group commit: how many appends one transaction may carry, and how long to wait for them. */
export interface GroupCommitOptions {
  /**
   * Most appends in one transaction (default 256). When more are
   * waiting, the first `maxBatch` are written and the rest wait for the next turn of
   * the event loop, so the callers of the first batch are answered before the next
   * batch is signed.
   */
  readonly maxBatch?: number
  /**
   * How long the first append of a batch may wait for company, in milliseconds
   * (default 0: the batch closes at the end of the current turn of the event loop,
   * in `setImmediate`).
   */
  readonly maxDelayMs?: number
}

/**
 * Default of {@link GroupCommitOptions.maxBatch}. Measured with 64 callers on a 2-core VM:
 * 16 cost ~15% of the throughput and 32 ~5% (more fsyncs), while p99 at a fixed
 * offered load (a quarter and half of capacity) did not move beyond noise, because
 * batches there stay small (5–10); so the cap stays high.
 */
const DEFAULT_MAX_BATCH = 256

/**
 * Collects the appends made in the same turn of the event loop (or within
 * `maxDelayMs`) and hands them to `write` as batches of at most `maxBatch`, in call
 * order, one batch per turn of the event loop. `write` is synchronous, so batches
 * never overlap.
 */
export class GroupCommitQueue {
  readonly #write: (batch: readonly PendingAppend[]) => void
  readonly #maxBatch: number
  readonly #maxDelayMs: number
  #pending: PendingAppend[] = []
  #timer: ReturnType<typeof setTimeout> | undefined
  #immediate: ReturnType<typeof setImmediate> | undefined

  constructor(write: (batch: readonly PendingAppend[]) => void, options: GroupCommitOptions = {}) {
    this.#write = write
    this.#maxBatch = positiveInteger(options.maxBatch, DEFAULT_MAX_BATCH)
    this.#maxDelayMs = Math.max(
      0,
      Number.isFinite(options.maxDelayMs) ? (options.maxDelayMs as number) : 0,
    )
  }

  /** Queues one append; it is written with the next batch. */
  push(item: PendingAppend): void {
    this.#pending.push(item)
    if (this.#immediate !== undefined) return
    if (this.#pending.length >= this.#maxBatch) {
      // A full batch does not wait for `maxDelayMs`: it is written at the end of this turn.
      this.#clearTimer()
      this.#schedule()
      return
    }
    if (this.#timer !== undefined) return
    if (this.#maxDelayMs > 0) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined
        this.#drain()
      }, this.#maxDelayMs)
    } else {
      this.#schedule()
    }
  }

  /** Writes everything queued now, in batches of at most `maxBatch` (used by `close`). */
  flush(): void {
    this.#clearTimer()
    if (this.#immediate !== undefined) clearImmediate(this.#immediate)
    this.#immediate = undefined
    while (this.#pending.length > 0) this.#write(this.#pending.splice(0, this.#maxBatch))
  }

  #schedule(): void {
    this.#immediate = setImmediate(() => {
      this.#immediate = undefined
      this.#drain()
    })
  }

  /** Writes one batch; the rest waits one turn, so the callers just answered run first. */
  #drain(): void {
    if (this.#pending.length === 0) return
    this.#write(this.#pending.splice(0, this.#maxBatch))
    if (this.#pending.length > 0 && this.#immediate === undefined) this.#schedule()
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    this.#timer = undefined
  }
}

function positiveInteger(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isInteger(value) && value > 0 ? value : fallback
}
