import { tokenDigest, WritError } from '@writ/verify'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createSqliteStore, SCHEMA_VERSION, type SqliteStore } from '../src/index.js'
import { collect, fakeIssuer, rejectionCode, temporaryDirectory, thrownCode } from './helpers.js'

describe('createSqliteStore', () => {
  let directory: ReturnType<typeof temporaryDirectory>
  let store: SqliteStore

  beforeEach(() => {
    directory = temporaryDirectory()
    store = createSqliteStore({ path: directory.file() })
  })
  afterEach(async () => {
    await store.close()
    directory.remove()
  })

  it('opens the file in WAL mode, synchronous=FULL by default, with the current schema', async () => {
    const database = new Database(directory.file(), { readonly: true })
    expect(database.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(database.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    database.close()
    expect(store.stats()).toMatchObject({ journalMode: 'wal', synchronous: 'FULL' })
    const relaxed = createSqliteStore({ path: directory.file(), synchronous: 'NORMAL' })
    expect(relaxed.stats().synchronous).toBe('NORMAL')
    await relaxed.close()
  })

  it('chains receipts: seq from 0, prev is the digest of the previous token', async () => {
    const first = await store.append('c1', { now: 1 }, fakeIssuer())
    const second = await store.append('c1', { now: 2 }, fakeIssuer())
    const third = await store.append('c1', { now: 3 }, fakeIssuer())
    expect(first.claims.chain).toEqual({ id: 'c1', seq: 0, prev: null })
    expect(second.claims.chain).toEqual({ id: 'c1', seq: 1, prev: tokenDigest(first.token) })
    expect(third.claims.chain).toEqual({ id: 'c1', seq: 2, prev: tokenDigest(second.token) })
    expect(await store.head('c1')).toEqual({
      chainId: 'c1',
      seq: 3,
      prev: tokenDigest(third.token),
    })
    expect(await store.head('other')).toEqual({ chainId: 'other', seq: 0, prev: null })
  })

  it('keeps chains apart and lists them', async () => {
    await store.append('b', { now: 1 }, fakeIssuer())
    await store.append('a', { now: 1 }, fakeIssuer())
    await store.append('b', { now: 1 }, fakeIssuer())
    expect(await store.chains()).toEqual(['a', 'b'])
    expect((await store.head('a')).seq).toBe(1)
    expect((await store.head('b')).seq).toBe(2)
  })

  it('reads receipts back by chain (paged, from a seq, limited), by jti and by request id', async () => {
    // One transaction for the 600 (group commit), to spare 600 fsyncs.
    const batched = createSqliteStore({ path: directory.file(), groupCommit: { maxBatch: 1000 } })
    const written = await Promise.all(
      Array.from({ length: 600 }, (_, index) =>
        batched.append(
          'c',
          { now: index },
          fakeIssuer({ req: index % 2 === 0 ? 'even' : `r${index}` }),
        ),
      ),
    )
    await batched.close()
    const tokens = written.map((receipt) => receipt.token)
    const all = await collect(store.receipts('c'))
    expect(all.map((receipt) => receipt.token)).toEqual(tokens)
    expect(all.map((receipt) => receipt.claims.chain.seq)).toEqual(tokens.map((_, index) => index))
    const tail = await collect(store.receipts('c', { fromSeq: 590 }))
    expect(tail.map((receipt) => receipt.claims.chain.seq)).toEqual([
      590, 591, 592, 593, 594, 595, 596, 597, 598, 599,
    ])
    const window = await collect(store.receipts('c', { fromSeq: 250, limit: 300 }))
    expect(window).toHaveLength(300)
    expect(window[0]?.claims.chain.seq).toBe(250)
    expect(window[299]?.claims.chain.seq).toBe(549)
    expect(await collect(store.receipts('missing'))).toEqual([])

    const byJti = await store.receipt(all[7]!.claims.jti)
    expect(byJti?.token).toBe(tokens[7])
    expect(await store.receipt('no-such-jti')).toBeUndefined()
    const even = await store.receiptsByRequest('even')
    expect(even).toHaveLength(300)
    expect(even.every((receipt) => receipt.claims.req === 'even')).toBe(true)
    expect(await store.receiptsByRequest('none')).toEqual([])
  })

  it('survives a reopen with everything in place', async () => {
    const written = await store.append('c', { now: 1 }, fakeIssuer({ req: 'keep' }))
    await store.close()
    store = createSqliteStore({ path: directory.file() })
    expect((await store.receipt(written.claims.jti))?.token).toBe(written.token)
    expect(await store.head('c')).toEqual({
      chainId: 'c',
      seq: 1,
      prev: tokenDigest(written.token),
    })
  })

  it('writes nothing when issue throws, and passes the issuer error through', async () => {
    await store.append('c', { now: 1 }, fakeIssuer())
    const before = await store.head('c')
    const failure = new WritError('GATE_ERROR', 'signer broke')
    await expect(
      store.append(
        'c',
        { now: 2, limits: [{ id: 'l', key: 'k', windowSeconds: 60, max: 10, amount: 1 }] },
        () => {
          throw failure
        },
      ),
    ).rejects.toBe(failure)
    expect(await store.head('c')).toEqual(before)
    expect(store.stats().receipts).toBe(1)
    // No reservation leaked either: ten more units still fit.
    const limits = [{ id: 'l', key: 'k', windowSeconds: 60, max: 10, amount: 10 }]
    const next = await store.append('c', { now: 3, limits }, fakeIssuer())
    expect(next.claims.decision).toBe('PERMIT')
  })

  it('refuses a receipt that does not take its given position (STORE_CONFLICT)', async () => {
    const code = await rejectionCode(
      store.append('c', { now: 1 }, (context) => {
        const issued = fakeIssuer()(context)
        return { ...issued, claims: { ...issued.claims, chain: { id: 'c', seq: 5, prev: null } } }
      }),
    )
    expect(code).toBe('STORE_CONFLICT')
    expect(store.stats().receipts).toBe(0)
  })

  it('refuses a reused jti (STORE_CONFLICT) and keeps the first', async () => {
    const first = await store.append('c', { now: 1 }, fakeIssuer({ jti: 'same' }))
    const error = await store
      .append('c', { now: 2 }, fakeIssuer({ jti: 'same' }))
      .catch((caught) => caught)
    expect(WritError.isInstance(error) && error.code).toBe('STORE_CONFLICT')
    expect((error as WritError).details?.['reason']).toBe('jti')
    expect((await store.receipt('same'))?.token).toBe(first.token)
    expect((await store.head('c')).seq).toBe(1)
  })

  it('refuses malformed issuer output and limit checks that would never exceed (fail closed)', async () => {
    expect(
      await rejectionCode(store.append('c', { now: 1 }, () => ({ token: 'x' }) as never)),
    ).toBe('GATE_ERROR')
    for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, -1]) {
      const limits = [{ id: 'l', key: 'k', windowSeconds: 60, max: 10, amount: bad }]
      expect(await rejectionCode(store.append('c', { now: 1, limits }, fakeIssuer()))).toBe(
        'GATE_ERROR',
      )
    }
    const nanWindow = [{ id: 'l', key: 'k', windowSeconds: Number.NaN, max: 10, amount: 1 }]
    expect(
      await rejectionCode(store.append('c', { now: 1, limits: nanWindow }, fakeIssuer())),
    ).toBe('GATE_ERROR')
    expect(await rejectionCode(store.append('c', { now: Number.NaN }, fakeIssuer()))).toBe(
      'GATE_ERROR',
    )
    expect(store.stats().receipts).toBe(0)
  })

  it('keeps checkpoints and returns the one covering the most receipts (newest on ties)', async () => {
    expect(await store.latestCheckpoint('c')).toBeUndefined()
    const head = `sha256:${'a'.repeat(64)}` as const
    await store.putCheckpoint({ chainId: 'c', size: 2, head, iat: 10, token: 't1' })
    await store.putCheckpoint({ chainId: 'c', size: 5, head, iat: 11, token: 't2' })
    await store.putCheckpoint({ chainId: 'c', size: 3, head, iat: 12, token: 't3' })
    await store.putCheckpoint({ chainId: 'c', size: 5, head, iat: 13, token: 't4' })
    await store.putCheckpoint({ chainId: 'c', size: 5, head, iat: 13, token: 't4' })
    await store.putCheckpoint({ chainId: 'd', size: 0, head: null, iat: 1, token: 'empty' })
    expect(await store.latestCheckpoint('c')).toEqual({
      chainId: 'c',
      size: 5,
      head,
      iat: 13,
      token: 't4',
    })
    expect(await store.latestCheckpoint('d')).toEqual({
      chainId: 'd',
      size: 0,
      head: null,
      iat: 1,
      token: 'empty',
    })
  })

  it('replay cache: first claim wins, across two stores on the same file', async () => {
    const other = createSqliteStore({ path: directory.file() })
    try {
      expect(await store.replay.claim('jti-1', 2_000_000_000)).toBe(true)
      expect(await store.replay.claim('jti-1', 2_000_000_000)).toBe(false)
      expect(await other.replay.claim('jti-1', 2_000_000_000)).toBe(false)
      expect(await other.replay.claim('jti-2', 2_000_000_000)).toBe(true)
      expect(await store.replay.claim('jti-2', 2_000_000_000)).toBe(false)
      expect(await rejectionCode(Promise.resolve().then(() => store.replay.claim('', 1)))).toBe(
        'REPLAY_CACHE_UNAVAILABLE',
      )
    } finally {
      await other.close()
    }
  })

  it('refuses a file whose schema is newer than this code (STORE_UNAVAILABLE)', async () => {
    await store.close()
    const database = new Database(directory.file())
    database.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
    database.close()
    expect(thrownCode(() => createSqliteStore({ path: directory.file() }))).toBe(
      'STORE_UNAVAILABLE',
    )
    const fresh = new Database(directory.file())
    fresh.pragma(`user_version = ${SCHEMA_VERSION}`)
    fresh.close()
    store = createSqliteStore({ path: directory.file() })
  })

  it('checkpoints the write-ahead log on demand', async () => {
    for (let index = 0; index < 20; index++) await store.append('c', { now: index }, fakeIssuer())
    const result = store.checkpointWal('TRUNCATE')
    expect(result.busy).toBe(false)
    expect(store.stats()).toMatchObject({ receipts: 20, appends: 20, batches: 20, largestBatch: 1 })
  })
})
