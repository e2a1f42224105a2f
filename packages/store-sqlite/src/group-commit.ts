import type { PendingAppend } from './append-transaction.js'

/** Options of group commit: how many appends one transaction may carry, and how long to wait for them. */
export interface GroupCommitOptions {
  /** Most appends in one transaction (default 256). A full batch is written at once. */
  readonly maxBatch?: number
  /**
   * How long the first append of a batch may wait for company, in milliseconds
   * (default 0: the batch closes at the end of the current turn of the event loop).
   */
  readonly maxDelayMs?: number
}

/**
 * Collects the appends made in the same turn of the event loop (or within
 * `maxDelayMs`) and hands them to `write` as one batch, in call order. `write` is
 * synchronous, so batches never overlap.
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
    this.#maxBatch = positiveInteger(options.maxBatch, 256)
    this.#maxDelayMs = Math.max(
      0,
      Number.isFinite(options.maxDelayMs) ? (options.maxDelayMs as number) : 0,
    )
  }

  /** Queues one append; it is written with the next batch. */
  push(item: PendingAppend): void {
    this.#pending.push(item)
    if (this.#pending.length >= this.#maxBatch) {
      this.flush()
      return
    }
    if (this.#timer !== undefined || this.#immediate !== undefined) return
    if (this.#maxDelayMs > 0) {
      this.#timer = setTimeout(() => this.flush(), this.#maxDelayMs)
    } else {
      this.#immediate = setImmediate(() => this.flush())
    }
  }

  /** Writes everything queued now, in batches of at most `maxBatch`. */
  flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer)
    if (this.#immediate !== undefined) clearImmediate(this.#immediate)
    this.#timer = undefined
    this.#immediate = undefined
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, this.#maxBatch)
      this.#write(batch)
    }
  }
}

function positiveInteger(value: number | undefined, fallback: number): number {
  return value !== undefined && Number.isInteger(value) && value > 0 ? value : fallback
}
