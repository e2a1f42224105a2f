import type { AppendContext, AppendOptions, IssuedReceipt, StoredReceipt } from '@writ/core'

/** One call of `Store.append`, waiting for the transaction that records it. */
export interface PendingAppend {
  readonly chainId: string
  readonly options: AppendOptions
  readonly issue: (context: AppendContext) => IssuedReceipt
  readonly resolve: (receipt: StoredReceipt) => void
  readonly reject: (error: unknown) => void
}

/**
 * Most appends one transaction carries. The chain's head is locked for the whole
 * transaction, so its appends take turns anyway: one transaction (and one WAL flush)
 * for all the appends that arrived while the previous one was committing costs a few
 * round trips instead of a dozen per append.
 */
export const MAX_BATCH = 256

/**
 * Per-chain group commit: the appends to one chain made while that chain's previous
 * transaction was running (or in the same turn of the event loop) are written together
 * by `write`, in call order, at most {@link MAX_BATCH} at a time. One batch per chain is
 * in flight at once; `write` settles every item of its batch, and never rejects.
 */
export class ChainQueues {
  readonly #write: (chainId: string, batch: readonly PendingAppend[]) => Promise<void>
  readonly #waiting = new Map<string, PendingAppend[]>()
  readonly #running = new Set<string>()

  constructor(write: (chainId: string, batch: readonly PendingAppend[]) => Promise<void>) {
    this.#write = write
  }

  /** Queues one append; it is written with the chain's next batch. */
  push(item: PendingAppend): void {
    const waiting = this.#waiting.get(item.chainId)
    if (waiting !== undefined) {
      waiting.push(item)
      return
    }
    this.#waiting.set(item.chainId, [item])
    if (this.#running.has(item.chainId)) return
    this.#running.add(item.chainId)
    // The first batch closes at the end of this turn, so appends made together go together.
    setImmediate(() => void this.#drain(item.chainId))
  }

  async #drain(chainId: string): Promise<void> {
    for (;;) {
      const waiting = this.#waiting.get(chainId)
      if (waiting === undefined || waiting.length === 0) break
      const batch = waiting.splice(0, MAX_BATCH)
      if (waiting.length === 0) this.#waiting.delete(chainId)
      try {
        await this.#write(chainId, batch)
      } catch (error) {
        // `write` settles its items itself; this only guards against a fault in it.
        for (const item of batch) item.reject(error)
      }
    }
    this.#running.delete(chainId)
  }
}
