import type { StoredReceipt } from '@writ/core'
import { tokenDigest, WritError } from '@writ/verify'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createSqliteStore, type SqliteStore } from '../src/index.js'
import { collect, fakeIssuer, temporaryDirectory } from './helpers.js'

describe('group commit', () => {
  let directory: ReturnType<typeof temporaryDirectory>
  let store: SqliteStore

  beforeEach(() => {
    directory = temporaryDirectory()
    store = createSqliteStore({ path: directory.file(), groupCommit: true })
  })
  afterEach(async () => {
    await store.close()
    directory.remove()
  })

  it('puts 64 concurrent appends in one transaction, in call order, and resolves each only after the commit', async () => {
    const reader = new Database(directory.file(), { readonly: true })
    const lookup = reader.prepare('SELECT count(*) AS count FROM receipts WHERE jti = ?')
    const visibleAtResolve: boolean[] = []
    try {
      const appends = Array.from({ length: 64 }, (_, index) =>
        store.append('c', { now: index }, fakeIssuer({ req: `r${index}` })).then((receipt) => {
          // Another connection sees only committed data: the receipt must be there already.
          visibleAtResolve.push((lookup.get(receipt.claims.jti) as { count: number }).count === 1)
          return receipt
        }),
      )
      const receipts = await Promise.all(appends)
      expect(visibleAtResolve).toEqual(Array(64).fill(true))
      expect(receipts.map((receipt) => receipt.claims.req)).toEqual(
        receipts.map((_, index) => `r${index}`),
      )
      expect(receipts.map((receipt) => receipt.claims.chain.seq)).toEqual(
        receipts.map((_, index) => index),
      )
      receipts.forEach((receipt, index) => {
        const previous = receipts[index - 1]
        expect(receipt.claims.chain.prev).toBe(
          previous === undefined ? null : tokenDigest(previous.token),
        )
      })
      expect(store.stats()).toMatchObject({ batches: 1, appends: 64, largestBatch: 64 })
    } finally {
      reader.close()
    }
  })

  it('undoes only the item whose issue() throws; the others keep a contiguous chain', async () => {
    const failure = new WritError('GATE_ERROR', 'signer broke')
    const settled = await Promise.allSettled(
      Array.from({ length: 20 }, (_, index) =>
        store.append(
          'c',
          { now: 1, limits: [{ id: 'n', key: 'n', windowSeconds: 60, max: 100, amount: 1 }] },
          (context) => {
            if (index === 7) throw failure
            return fakeIssuer()(context)
          },
        ),
      ),
    )
    expect(settled[7]).toEqual({ status: 'rejected', reason: failure })
    const kept = settled.filter(
      (outcome) => outcome.status === 'fulfilled',
    ) as PromiseFulfilledResult<StoredReceipt>[]
    expect(kept).toHaveLength(19)
    expect(kept.map((outcome) => outcome.value.claims.chain.seq)).toEqual(
      kept.map((_, index) => index),
    )
    const stored = await collect(store.receipts('c'))
    expect(stored.map((receipt) => receipt.token)).toEqual(
      kept.map((outcome) => outcome.value.token),
    )
    expect(store.stats().batches).toBe(1)
    // The failed item's reservation was undone with its savepoint: 19 used, 81 left.
    const probe = await store.append(
      'c',
      { now: 2, limits: [{ id: 'n', key: 'n', windowSeconds: 60, max: 100, amount: 81 }] },
      fakeIssuer(),
    )
    expect(probe.claims.decision).toBe('PERMIT')
  })

  it('caps a batch at maxBatch', async () => {
    await store.close()
    store = createSqliteStore({
      path: directory.file(),
      groupCommit: { maxBatch: 10, maxDelayMs: 20 },
    })
    // A full batch does not wait for the window: 64 appends made at once are 7 batches.
    await Promise.all(Array.from({ length: 64 }, () => store.append('c', { now: 1 }, fakeIssuer())))
    expect(store.stats()).toMatchObject({ batches: 7, appends: 64, largestBatch: 10 })
    expect((await store.head('c')).seq).toBe(64)
  })

  it('waits up to maxDelayMs for company, and no longer', async () => {
    await store.close()
    // The window runs on a fake clock, advanced by hand: no real time passes.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    try {
      store = createSqliteStore({
        path: directory.file(),
        groupCommit: { maxBatch: 10, maxDelayMs: 20 },
      })
      const first = store.append('c', { now: 1 }, fakeIssuer())
      vi.advanceTimersByTime(19)
      expect(store.stats().batches).toBe(0)
      const second = store.append('c', { now: 1 }, fakeIssuer())
      vi.advanceTimersByTime(1)
      await Promise.all([first, second])
      expect(store.stats()).toMatchObject({ batches: 1, appends: 2, largestBatch: 2 })
      const alone = store.append('c', { now: 1 }, fakeIssuer())
      vi.advanceTimersByTime(20)
      await alone
      expect(store.stats()).toMatchObject({ batches: 2, appends: 3 })
      expect((await store.head('c')).seq).toBe(3)
    } finally {
      vi.useRealTimers()
    }
  })

  it('writes accepted appends before closing', async () => {
    const pending = store.append('c', { now: 1 }, fakeIssuer())
    await store.close()
    const receipt = await pending
    store = createSqliteStore({ path: directory.file() })
    expect((await store.receipt(receipt.claims.jti))?.token).toBe(receipt.token)
  })
})
