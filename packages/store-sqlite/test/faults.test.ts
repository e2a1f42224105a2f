import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { StoredReceipt } from '@writ/core'
import { tokenDigest, WritError } from '@writ/verify'
import { describe, expect, it } from 'vitest'
import { openWithDriver, resolveDriver } from '../src/driver.js'
import { createSqliteStore, type SqliteStore } from '../src/index.js'
import { collect, fakeIssuer, rejectionCode, thrownCode, useTemporaryDirectory } from './helpers.js'

/** Appends until the store refuses; returns what was acknowledged and the refusal. */
async function fillUp(
  store: SqliteStore,
  batchSize: number,
): Promise<{ acknowledged: StoredReceipt[]; refusal: unknown }> {
  const acknowledged: StoredReceipt[] = []
  for (let round = 0; round < 10_000; round++) {
    const settled = await Promise.allSettled(
      Array.from({ length: batchSize }, () =>
        store.append('c', { now: round }, fakeIssuer({ req: 'x'.repeat(400) })),
      ),
    )
    for (const outcome of settled) {
      if (outcome.status === 'fulfilled') acknowledged.push(outcome.value)
    }
    const refused = settled.find((outcome) => outcome.status === 'rejected')
    if (refused !== undefined)
      return { acknowledged, refusal: (refused as PromiseRejectedResult).reason }
  }
  throw new Error('the store never filled up')
}

function expectContiguous(receipts: readonly StoredReceipt[]): void {
  receipts.forEach((receipt, index) => {
    const previous = receipts[index - 1]
    expect(receipt.claims.chain.seq).toBe(index)
    expect(receipt.claims.chain.prev).toBe(
      previous === undefined ? null : tokenDigest(previous.token),
    )
  })
}

describe('faults fail closed', () => {
  const directory = useTemporaryDirectory()

  it('a path that cannot be opened or written is STORE_UNAVAILABLE', () => {
    expect(
      thrownCode(() => createSqliteStore({ path: join(directory.path, 'missing', 'writ.db') })),
    ).toBe('STORE_UNAVAILABLE')
    mkdirSync(join(directory.path, 'a-directory'))
    expect(thrownCode(() => createSqliteStore({ path: join(directory.path, 'a-directory') }))).toBe(
      'STORE_UNAVAILABLE',
    )
    writeFileSync(join(directory.path, 'a-file'), 'not a directory')
    expect(
      thrownCode(() => createSqliteStore({ path: join(directory.path, 'a-file', 'writ.db') })),
    ).toBe('STORE_UNAVAILABLE')
    writeFileSync(join(directory.path, 'garbage.db'), Buffer.alloc(8192, 7))
    expect(thrownCode(() => createSqliteStore({ path: join(directory.path, 'garbage.db') }))).toBe(
      'STORE_UNAVAILABLE',
    )
    expect(thrownCode(() => createSqliteStore({ path: '' }))).toBe('STORE_UNAVAILABLE')
    const path = directory.file()
    expect(thrownCode(() => createSqliteStore({ path, maxPageCount: Number.NaN }))).toBe(
      'STORE_UNAVAILABLE',
    )
    expect(thrownCode(() => createSqliteStore({ path, busyTimeoutMs: -1 }))).toBe(
      'STORE_UNAVAILABLE',
    )
    expect(thrownCode(() => createSqliteStore({ path, synchronous: 'OFF' as never }))).toBe(
      'STORE_UNAVAILABLE',
    )
  })

  it.each([
    ['plain', false, 1],
    ['group commit', true, 16],
  ] as const)(
    'a full disk is STORE_FULL and loses nothing already recorded (%s)',
    async (_name, groupCommit, batchSize) => {
      let store = createSqliteStore({ path: directory.file(), maxPageCount: 64, groupCommit })
      const { acknowledged, refusal } = await fillUp(store, batchSize)
      expect(WritError.isInstance(refusal) && refusal.code).toBe('STORE_FULL')
      expect(acknowledged.length).toBeGreaterThan(10)
      if (!groupCommit) {
        // Still refusing the same write. (A lost batch frees its pages, so in group
        // commit a single append may fit again: that is not checked there.)
        expect(
          await rejectionCode(store.append('c', { now: 1 }, fakeIssuer({ req: 'x'.repeat(400) }))),
        ).toBe('STORE_FULL')
      }
      // Still readable.
      const stored = await collect(store.receipts('c'))
      expect(stored.map((receipt) => receipt.token)).toEqual(
        acknowledged.map((receipt) => receipt.token),
      )
      expectContiguous(stored)
      await store.close()
      // With room again, the chain continues where it stopped.
      store = createSqliteStore({ path: directory.file() })
      const next = await store.append('c', { now: 1 }, fakeIssuer())
      expect(next.claims.chain.seq).toBe(acknowledged.length)
      expectContiguous(await collect(store.receipts('c')))
      await store.close()
    },
  )

  it('a lock held past the busy timeout is STORE_UNAVAILABLE (locked), and the store recovers', async () => {
    const store = createSqliteStore({ path: directory.file(), busyTimeoutMs: 100 })
    const first = await store.append('c', { now: 1 }, fakeIssuer())
    // The store's own driver: two copies of SQLite in one process do not see each other's locks.
    const other = openWithDriver(resolveDriver('auto'), directory.file(), 0)
    other.exec('BEGIN IMMEDIATE')
    try {
      let issued = false
      const error = await store
        .append('c', { now: 2 }, (context) => {
          issued = true
          return fakeIssuer()(context)
        })
        .catch((caught) => caught)
      expect(WritError.isInstance(error) && error.code).toBe('STORE_UNAVAILABLE')
      expect((error as WritError).details?.['reason']).toBe('locked')
      expect(issued).toBe(false)
      // Readers are not blocked by a writer in WAL mode.
      expect((await store.receipt(first.claims.jti))?.token).toBe(first.token)
    } finally {
      other.exec('ROLLBACK')
      other.close()
    }
    const after = await store.append('c', { now: 3 }, fakeIssuer())
    expect(after.claims.chain.seq).toBe(1)
    await store.close()
  })

  it('a closed store refuses everything with STORE_UNAVAILABLE', async () => {
    const store = createSqliteStore({ path: directory.file(), groupCommit: true })
    await store.append('c', { now: 1 }, fakeIssuer())
    await store.close()
    await store.close()
    let issued = false
    const calls: Promise<unknown>[] = [
      store.append('c', { now: 2 }, (context) => {
        issued = true
        return fakeIssuer()(context)
      }),
      store.head('c'),
      store.receipt('x'),
      store.receiptsByRequest('x'),
      store.chains(),
      store.latestCheckpoint('c'),
      store.putCheckpoint({ chainId: 'c', size: 0, head: null, iat: 1, token: 't' }),
      Promise.resolve().then(() => store.replay.claim('x', 2_000_000_000)),
      collect(store.receipts('c')),
    ]
    for (const call of calls) expect(await rejectionCode(call)).toBe('STORE_UNAVAILABLE')
    expect(thrownCode(() => store.stats())).toBe('STORE_UNAVAILABLE')
    expect(issued).toBe(false)
  })
})
