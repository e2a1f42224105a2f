import type { AppendContext, IssuedReceipt, LimitCheck, StoredReceipt } from '@writ/core'
import { tokenDigest, WritError } from '@writ/verify'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createSqliteStore, type SqliteStore } from '../src/index.js'
import { collect, fakeIssuer, temporaryDirectory } from './helpers.js'

type Settled = PromiseSettledResult<StoredReceipt>

/** An issuer that counts its calls. */
function countingIssuer(
  calls: number[],
  index: number,
  issue: (context: AppendContext) => IssuedReceipt = fakeIssuer(),
): (context: AppendContext) => IssuedReceipt {
  return (context) => {
    calls[index] = (calls[index] ?? 0) + 1
    return issue(context)
  }
}

function fulfilled(settled: readonly Settled[]): StoredReceipt[] {
  return settled
    .filter((outcome): outcome is PromiseFulfilledResult<StoredReceipt> => {
      return outcome.status === 'fulfilled'
    })
    .map((outcome) => outcome.value)
}

function expectContiguous(receipts: readonly StoredReceipt[], chainId = 'c'): void {
  receipts.forEach((receipt, index) => {
    const previous = receipts[index - 1]
    expect(receipt.claims.chain).toEqual({
      id: chainId,
      seq: index,
      prev: previous === undefined ? null : tokenDigest(previous.token),
    })
  })
}

const limit = (id: string, amount: number, max = 1000): LimitCheck => ({
  id,
  key: `${id}|agent:a`,
  windowSeconds: 60,
  max,
  amount,
})

describe('optimistic batches (group commit)', () => {
  let directory: ReturnType<typeof temporaryDirectory>
  let store: SqliteStore
  let reader: Database.Database

  beforeEach(() => {
    directory = temporaryDirectory()
    store = createSqliteStore({ path: directory.file(), groupCommit: true })
    reader = new Database(directory.file())
  })
  afterEach(async () => {
    reader.close()
    await store.close()
    directory.remove()
  })

  const reservationsOf = (jti: string): number =>
    (
      reader.prepare('SELECT count(*) AS n FROM reservations WHERE jti = ?').get(jti) as {
        n: number
      }
    ).n
  const receiptsWithJti = (jti: string): number =>
    (reader.prepare('SELECT count(*) AS n FROM receipts WHERE jti = ?').get(jti) as { n: number }).n

  it('a batch whose 3rd of 10 issuers throws commits the other 9, contiguous; the 3rd writes nothing', async () => {
    const failure = new WritError('GATE_ERROR', 'signer broke')
    const calls: number[] = []
    const settled = await Promise.allSettled(
      Array.from({ length: 10 }, (_, index) =>
        store.append(
          'c',
          { now: 1, limits: [limit('spend', 10)] },
          countingIssuer(calls, index, (context) => {
            if (index === 2) throw failure
            return fakeIssuer({ jti: `jti-${index}` })(context)
          }),
        ),
      ),
    )
    expect(settled[2]).toEqual({ status: 'rejected', reason: failure })
    const kept = fulfilled(settled)
    expect(kept.map((receipt) => receipt.claims.jti)).toEqual(
      [0, 1, 3, 4, 5, 6, 7, 8, 9].map((index) => `jti-${index}`),
    )
    expectContiguous(kept)
    expect(await collect(store.receipts('c'))).toEqual(kept)
    // One transaction, and each issuer was asked exactly once.
    expect(store.stats()).toMatchObject({ batches: 1, appends: 9 })
    expect(calls).toEqual(Array(10).fill(1))
    // Nothing of the 3rd: no receipt, no reservation; 9 × 10 reserved.
    expect(receiptsWithJti('jti-2')).toBe(0)
    const total = reader.prepare('SELECT total(amount) AS total FROM reservations').get() as {
      total: number
    }
    expect(total.total).toBe(90)
  })

  it('retries the batch with savepoints when a write fails half-way through an item, reusing receipts already issued', async () => {
    // A real SQLite refusal of the reservation, after the item's receipt row was inserted.
    reader.exec(`CREATE TRIGGER refuse_boom BEFORE INSERT ON reservations
      WHEN NEW.limit_id = 'boom' BEGIN SELECT RAISE(ABORT, 'refused'); END`)
    const calls: number[] = []
    const settled = await Promise.allSettled(
      Array.from({ length: 10 }, (_, index) =>
        store.append(
          'c',
          { now: 1, limits: [limit(index === 2 ? 'boom' : 'spend', 10)] },
          countingIssuer(calls, index, fakeIssuer({ jti: `jti-${index}` })),
        ),
      ),
    )
    const refusal = settled[2]
    expect(refusal?.status).toBe('rejected')
    const reason = (refusal as PromiseRejectedResult).reason
    expect(WritError.isInstance(reason) && reason.code).toBe('STORE_UNAVAILABLE')
    const kept = fulfilled(settled)
    expect(kept).toHaveLength(9)
    expectContiguous(kept)
    expect(await collect(store.receipts('c'))).toEqual(kept)
    expect(store.stats()).toMatchObject({ batches: 1, appends: 9 })
    // The failing item's receipt row was undone with its savepoint.
    expect(receiptsWithJti('jti-2')).toBe(0)
    expect(reservationsOf('jti-2')).toBe(0)
    for (const receipt of kept) expect(reservationsOf(receipt.claims.jti)).toBe(1)
    // Receipts issued before the failure kept their position, so none was signed twice.
    expect(calls).toEqual(Array(10).fill(1))
  })

  it('refuses only the item whose jti is already recorded (STORE_CONFLICT); the rest stay contiguous', async () => {
    const first = await store.append('c', { now: 1 }, fakeIssuer({ jti: 'taken' }))
    const settled = await Promise.allSettled(
      Array.from({ length: 8 }, (_, index) =>
        store.append('c', { now: 2 }, fakeIssuer(index === 4 ? { jti: 'taken' } : {})),
      ),
    )
    const refusal = settled[4] as PromiseRejectedResult
    expect(refusal.status).toBe('rejected')
    expect(WritError.isInstance(refusal.reason) && refusal.reason.code).toBe('STORE_CONFLICT')
    const kept = fulfilled(settled)
    expect(kept).toHaveLength(7)
    expectContiguous([first, ...kept])
    expect(receiptsWithJti('taken')).toBe(1)
    expect((await store.head('c')).seq).toBe(8)
  })

  it('keeps one head per chain when a batch interleaves several chains', async () => {
    const chains = ['a', 'b', 'c']
    await store.append('b', { now: 1 }, fakeIssuer())
    const receipts = await Promise.all(
      Array.from({ length: 21 }, (_, index) => {
        const chainId = chains[index % 3] as string
        return store.append(chainId, { now: 2 }, fakeIssuer())
      }),
    )
    expect(store.stats()).toMatchObject({ batches: 2, largestBatch: 21 })
    for (const chainId of chains) {
      const stored = await collect(store.receipts(chainId))
      expect(stored).toHaveLength(chainId === 'b' ? 8 : 7)
      expectContiguous(stored, chainId)
      expect(
        receipts.filter((receipt) => receipt.claims.chain.id === chainId).map((r) => r.token),
      ).toEqual(stored.slice(chainId === 'b' ? 1 : 0).map((receipt) => receipt.token))
    }
  })

  it('counts earlier items of the same batch against a limit, but not an item that failed', async () => {
    const seen: (string | null)[] = []
    const settled = await Promise.allSettled(
      Array.from({ length: 10 }, (_, index) =>
        store.append('c', { now: 5, limits: [limit('spend', 30, 100)] }, (context) => {
          seen.push(context.exceeded?.id ?? null)
          if (index === 1) throw new WritError('GATE_ERROR', 'signer broke')
          return fakeIssuer()(context)
        }),
      ),
    )
    expect(store.stats().batches).toBe(1)
    const kept = fulfilled(settled)
    expect(kept.map((receipt) => receipt.claims.decision)).toEqual([
      'PERMIT',
      'PERMIT',
      'PERMIT',
      'DENY',
      'DENY',
      'DENY',
      'DENY',
      'DENY',
      'DENY',
    ])
    expect(seen).toEqual([null, null, null, null, ...Array(6).fill('spend')])
    expectContiguous(kept)
  })
})

describe('group commit queue', () => {
  let directory: ReturnType<typeof temporaryDirectory>
  let store: SqliteStore

  beforeEach(() => {
    directory = temporaryDirectory()
    store = createSqliteStore({ path: directory.file(), groupCommit: { maxBatch: 4 } })
  })
  afterEach(async () => {
    await store.close()
    directory.remove()
  })

  it('answers the callers of a full batch before it signs the next one', async () => {
    const events: string[] = []
    await Promise.all(
      Array.from({ length: 10 }, (_, index) =>
        store
          .append('c', { now: 1 }, (context) => {
            events.push(`issue ${index}`)
            return fakeIssuer()(context)
          })
          .then(() => events.push(`answer ${index}`)),
      ),
    )
    expect(store.stats()).toMatchObject({ batches: 3, appends: 10, largestBatch: 4 })
    expect(events.indexOf('answer 0')).toBeLessThan(events.indexOf('issue 4'))
    expect(events.indexOf('answer 4')).toBeLessThan(events.indexOf('issue 8'))
    expect(events.filter((event) => event.startsWith('issue'))).toEqual(
      Array.from({ length: 10 }, (_, index) => `issue ${index}`),
    )
    expectContiguous(await collect(store.receipts('c')))
  })

  it('close writes every queued batch at once', async () => {
    const pending = Array.from({ length: 10 }, () => store.append('c', { now: 1 }, fakeIssuer()))
    await store.close()
    const receipts = await Promise.all(pending)
    expectContiguous(receipts)
    store = createSqliteStore({ path: directory.file() })
    expect((await store.head('c')).seq).toBe(10)
  })
})

describe('an append alone in its transaction', () => {
  it('is refused after a failed write without a second run, and writes nothing', async () => {
    const directory = temporaryDirectory()
    const store = createSqliteStore({ path: directory.file() })
    try {
      await store.append('c', { now: 1 }, fakeIssuer({ jti: 'taken' }))
      const calls: number[] = []
      const error = await store
        .append(
          'c',
          { now: 2, limits: [limit('spend', 10)] },
          countingIssuer(calls, 0, fakeIssuer({ jti: 'taken' })),
        )
        .catch((caught: unknown) => caught)
      expect(WritError.isInstance(error) && error.code).toBe('STORE_CONFLICT')
      expect(calls).toEqual([1])
      expect((await store.head('c')).seq).toBe(1)
      const next = await store.append('c', { now: 3 }, fakeIssuer())
      expect(next.claims.chain.seq).toBe(1)
      expect(store.stats()).toMatchObject({ batches: 2, appends: 2 })
    } finally {
      await store.close()
      directory.remove()
    }
  })
})
