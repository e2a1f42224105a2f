/**
 * The store conformance suite: the behaviour every {@link Store} must have, written
 * once and run by the memory, SQLite and PostgreSQL stores alike.
 */
import { type Digest, tokenDigest } from '@writ/verify'
import { describe, expect, it } from 'vitest'
import { createKeyRing } from '../key-ring.js'
import { generateSigningKey } from '../keys.js'
import { encodeReceipt, receiptClaims } from '../receipt-issuer.js'
import type {
  AppendContext,
  IssuedReceipt,
  LimitCheck,
  Store,
  StoredCheckpoint,
  StoredReceipt,
} from '../types.js'
import { uuidV7 } from '../uuid-v7.js'
import { describeHoldConformance } from './store-hold-conformance.js'
import { describeTreeConformance } from './store-tree-conformance.js'

/** What a store factory hands the suite: a fresh, empty store and how to dispose of it. */
export interface StoreUnderTest {
  readonly store: Store
  cleanup(): Promise<void>
}

/** Builds a fresh, empty store for one test. */
export type StoreFactory = () => Promise<StoreUnderTest>

const signer = createKeyRing(generateSigningKey()).active

/** What a test issuer should put in a receipt. */
interface IssueSpec {
  readonly decision?: 'PERMIT' | 'DENY' | 'SILENCE'
  readonly req?: string
  /** Reserve when no limit is exceeded (default true for PERMIT). */
  readonly reserve?: boolean
}

/** An issuer that signs a real receipt at the position it is given, and records what it saw. */
function issuer(spec: IssueSpec = {}, seen: AppendContext[] = []) {
  return (context: AppendContext): IssuedReceipt => {
    seen.push(context)
    const decision =
      spec.decision === undefined ? (context.exceeded === null ? 'PERMIT' : 'DENY') : spec.decision
    const claims = receiptClaims(
      {
        iss: 'https://conformance.writ.test',
        jti: uuidV7(),
        iat: 1_700_000_000,
        exp: 1_700_000_300,
        sub: 'agent',
        req: spec.req ?? uuidV7(),
        decision,
        reason:
          decision === 'PERMIT'
            ? 'RULE_PERMIT'
            : context.exceeded === null
              ? 'RULE_DENY'
              : 'LIMIT_EXCEEDED',
        rule: null,
        policy: { id: 'conformance', digest: `sha256:${'0'.repeat(64)}` },
        act: { name: 'conformance.act', args: `sha256:${'1'.repeat(64)}` },
      },
      { id: context.position.chainId, seq: context.position.seq, prev: context.position.prev },
    )
    const reserve = spec.reserve ?? (decision === 'PERMIT' && context.exceeded === null)
    return { token: encodeReceipt(claims, signer), claims, reserve }
  }
}

function limit(overrides: Partial<LimitCheck> = {}): LimitCheck {
  return {
    id: 'spend',
    key: `spend|agent:${uuidV7()}`,
    windowSeconds: 3600,
    max: 10,
    amount: 1,
    ...overrides,
  }
}

async function collect(iterable: AsyncIterable<StoredReceipt>): Promise<StoredReceipt[]> {
  const list: StoredReceipt[] = []
  for await (const receipt of iterable) list.push(receipt)
  return list
}

function expectLinked(receipts: readonly StoredReceipt[], chainId: string): void {
  let prev: Digest | null = null
  receipts.forEach((receipt, seq) => {
    expect(receipt.claims.chain).toEqual({ id: chainId, seq, prev })
    prev = tokenDigest(receipt.token)
  })
}

/** Runs one test against a fresh store and disposes of it afterwards. */
type WithStore = (test: (store: Store) => Promise<void>) => Promise<void>

/** Appending: a contiguous, linked chain per chain id. */
function describeChains(withStore: WithStore): void {
  it('starts empty', () =>
    withStore(async (store) => {
      expect(await store.head('main')).toEqual({ chainId: 'main', seq: 0, prev: null })
      expect(await store.chains()).toEqual([])
      expect(await store.receipt(uuidV7())).toBeUndefined()
      expect(await store.receiptsByRequest('nothing')).toEqual([])
      expect(await store.latestCheckpoint('main')).toBeUndefined()
      expect(await collect(store.receipts('main'))).toEqual([])
    }))

  it('appends at the head and links each receipt to the previous token', () =>
    withStore(async (store) => {
      const seen: AppendContext[] = []
      const first = await store.append('main', { now: 1000 }, issuer({}, seen))
      const second = await store.append('main', { now: 1001 }, issuer({ decision: 'DENY' }, seen))
      expect(seen.map((context) => context.position)).toEqual([
        { chainId: 'main', seq: 0, prev: null },
        { chainId: 'main', seq: 1, prev: tokenDigest(first.token) },
      ])
      expect(seen.every((context) => context.exceeded === null)).toBe(true)
      expect(second.claims.chain).toEqual({ id: 'main', seq: 1, prev: tokenDigest(first.token) })
      expect(await store.head('main')).toEqual({
        chainId: 'main',
        seq: 2,
        prev: tokenDigest(second.token),
      })
      expect(await store.chains()).toEqual(['main'])
    }))

  it('keeps seq and prev contiguous under 200 concurrent appends', () =>
    withStore(async (store) => {
      const appended = await Promise.all(
        Array.from({ length: 200 }, (_, index) =>
          store.append('main', { now: 1000 + (index % 7) }, issuer()),
        ),
      )
      expect(new Set(appended.map((receipt) => receipt.claims.chain.seq)).size).toBe(200)
      const receipts = await collect(store.receipts('main'))
      expect(receipts).toHaveLength(200)
      expectLinked(receipts, 'main')
      const last = receipts.at(-1)!
      expect(await store.head('main')).toEqual({
        chainId: 'main',
        seq: 200,
        prev: tokenDigest(last.token),
      })
    }))
}

/** Reading back: chains kept apart, pages, lookups by jti and by request. */
function describeLookups(withStore: WithStore): void {
  it('keeps chains independent', () =>
    withStore(async (store) => {
      await Promise.all(
        Array.from({ length: 30 }, (_, index) =>
          store.append(index % 2 === 0 ? 'a' : 'b', { now: 1000 }, issuer()),
        ),
      )
      expect([...(await store.chains())].sort()).toEqual(['a', 'b'])
      for (const chainId of ['a', 'b']) {
        const receipts = await collect(store.receipts(chainId))
        expect(receipts).toHaveLength(15)
        expectLinked(receipts, chainId)
      }
    }))

  it('lists receipts in seq order from fromSeq, up to limit', () =>
    withStore(async (store) => {
      for (let index = 0; index < 10; index += 1)
        await store.append('main', { now: 1000 }, issuer())
      const all = await collect(store.receipts('main'))
      const page = await collect(store.receipts('main', { fromSeq: 3, limit: 4 }))
      expect(page.map((receipt) => receipt.claims.chain.seq)).toEqual([3, 4, 5, 6])
      expect(page.map((receipt) => receipt.token)).toEqual(
        all.slice(3, 7).map((receipt) => receipt.token),
      )
      expect(await collect(store.receipts('main', { fromSeq: 8 }))).toHaveLength(2)
      expect(await collect(store.receipts('main', { fromSeq: 10 }))).toEqual([])
      expect(await collect(store.receipts('other'))).toEqual([])
    }))

  it('finds a receipt by jti and the receipts of a request, in order', () =>
    withStore(async (store) => {
      const first = await store.append(
        'main',
        { now: 1000 },
        issuer({ req: 'request-1', decision: 'DENY' }),
      )
      await store.append('main', { now: 1000 }, issuer({ req: 'request-2' }))
      const third = await store.append('other', { now: 1000 }, issuer({ req: 'request-1' }))
      const found = await store.receipt(first.claims.jti)
      expect(found?.token).toBe(first.token)
      expect(found?.claims).toEqual(first.claims)
      const byRequest = await store.receiptsByRequest('request-1')
      expect(byRequest.map((receipt) => receipt.token)).toEqual([first.token, third.token])
      expect(await store.receiptsByRequest('request-3')).toEqual([])
    }))
}

/** Limits: exact under concurrency, over a rolling window. */
function describeLimitCounting(withStore: WithStore): void {
  it('enforces a limit exactly under concurrency', () =>
    withStore(async (store) => {
      const check = limit({ max: 25 })
      const appended = await Promise.all(
        Array.from({ length: 60 }, () =>
          store.append('main', { now: 1000, limits: [check] }, issuer()),
        ),
      )
      expect(appended.filter((receipt) => receipt.claims.decision === 'PERMIT')).toHaveLength(25)
      expect(appended.filter((receipt) => receipt.claims.decision === 'DENY')).toHaveLength(35)
      const seen: AppendContext[] = []
      await store.append('main', { now: 1001, limits: [check] }, issuer({}, seen))
      expect(seen[0]?.exceeded?.id).toBe('spend')
    }))

  it('sums amounts over a rolling window that ends at now', () =>
    withStore(async (store) => {
      const key = `spend|agent:${uuidV7()}`
      const check = (amount: number) => limit({ key, windowSeconds: 100, max: 100, amount })
      const exceededAt = async (now: number, amount: number) => {
        const seen: AppendContext[] = []
        await store.append('main', { now, limits: [check(amount)] }, issuer({}, seen))
        return seen[0]!.exceeded
      }
      expect(await exceededAt(1000, 40)).toBeNull()
      expect(await exceededAt(1050, 70)).not.toBeNull()
      expect(await exceededAt(1050, 60)).toBeNull()
      expect(await exceededAt(1060, 1)).not.toBeNull()
      // At 1100 the reservation made at 1000 has left the window (at > now - window).
      expect(await exceededAt(1100, 40)).toBeNull()
      expect(await exceededAt(1100, 1)).not.toBeNull()
    }))
}

/** Limits: reserved only on request, the first exceeded one reported. */
function describeLimitReservations(withStore: WithStore): void {
  it('reserves only when the issuer asks to', () =>
    withStore(async (store) => {
      const check = limit({ max: 1 })
      for (let index = 0; index < 5; index += 1) {
        const seen: AppendContext[] = []
        await store.append(
          'main',
          { now: 1000, limits: [check] },
          issuer({ decision: 'DENY', reserve: false }, seen),
        )
        expect(seen[0]?.exceeded).toBeNull()
      }
      const seen: AppendContext[] = []
      await store.append('main', { now: 1000, limits: [check] }, issuer({}, seen))
      await store.append('main', { now: 1000, limits: [check] }, issuer({}, seen))
      expect(seen.map((context) => context.exceeded?.id ?? null)).toEqual([null, 'spend'])
    }))

  it('reports the first limit that would be exceeded', () =>
    withStore(async (store) => {
      const roomy = limit({ id: 'roomy', max: 100 })
      const tight = limit({ id: 'tight', max: 1 })
      const tighter = limit({ id: 'tighter', max: 1 })
      await store.append('main', { now: 1000, limits: [tight, tighter] }, issuer())
      const seen: AppendContext[] = []
      await store.append('main', { now: 1000, limits: [roomy, tight, tighter] }, issuer({}, seen))
      expect(seen[0]?.exceeded?.id).toBe('tight')
      // The refused request reserved nothing, not even on the limit that had room.
      const roomyAgain: AppendContext[] = []
      await store.append(
        'main',
        { now: 1000, limits: [{ ...roomy, amount: 99 }] },
        issuer({}, roomyAgain),
      )
      expect(roomyAgain[0]?.exceeded).toBeNull()
    }))
}

/** Atomic appends: a failed or wrong issue keeps nothing. */
function describeAtomicity(withStore: WithStore): void {
  it('leaves nothing behind when issue throws', () =>
    withStore(async (store) => {
      const first = await store.append('main', { now: 1000 }, issuer())
      const check = limit({ max: 1 })
      const failure = new Error('signer exploded')
      await expect(
        store.append('main', { now: 1000, limits: [check] }, () => {
          throw failure
        }),
      ).rejects.toBeDefined()
      expect(await store.head('main')).toEqual({
        chainId: 'main',
        seq: 1,
        prev: tokenDigest(first.token),
      })
      expect(await collect(store.receipts('main'))).toHaveLength(1)
      const seen: AppendContext[] = []
      const next = await store.append('main', { now: 1000, limits: [check] }, issuer({}, seen))
      expect(seen[0]?.exceeded).toBeNull()
      expect(next.claims.chain.seq).toBe(1)
    }))

  it('refuses a receipt issued for another position, and keeps nothing of it', () =>
    withStore(async (store) => {
      await store.append('main', { now: 1000 }, issuer())
      const wrong = (context: AppendContext) =>
        issuer()({ ...context, position: { ...context.position, seq: context.position.seq + 5 } })
      await expect(store.append('main', { now: 1000 }, wrong)).rejects.toBeDefined()
      expect((await store.head('main')).seq).toBe(1)
    }))

  it('refuses to reserve a limit that is exceeded, and keeps nothing of it', () =>
    withStore(async (store) => {
      const check = limit({ max: 1 })
      await store.append('main', { now: 1000, limits: [check] }, issuer())
      await expect(
        store.append(
          'main',
          { now: 1000, limits: [check] },
          issuer({ decision: 'PERMIT', reserve: true }),
        ),
      ).rejects.toBeDefined()
      expect((await store.head('main')).seq).toBe(1)
    }))
}

/** Replay ids claimed once; the latest checkpoint kept. */
function describeReplayAndCheckpoints(withStore: WithStore): void {
  it('claims a replay id once, even under concurrency', () =>
    withStore(async (store) => {
      const jti = uuidV7()
      expect(await store.replay.claim(jti, 4_000_000_000)).toBe(true)
      expect(await store.replay.claim(jti, 4_000_000_000)).toBe(false)
      const contested = uuidV7()
      const results = await Promise.all(
        Array.from({ length: 20 }, () => store.replay.claim(contested, 4_000_000_000)),
      )
      expect(results.filter((result) => result === true)).toHaveLength(1)
    }))

  it('keeps the latest checkpoint: most receipts, then newest', () =>
    withStore(async (store) => {
      const receipts: StoredReceipt[] = []
      for (let index = 0; index < 3; index += 1)
        receipts.push(await store.append('main', { now: 1000 }, issuer()))
      const checkpoint = (size: number, iat: number, token: string): StoredCheckpoint => ({
        chainId: 'main',
        size,
        head: tokenDigest(receipts[size - 1]!.token),
        iat,
        token,
      })
      await store.putCheckpoint(checkpoint(1, 1000, 'checkpoint-a'))
      await store.putCheckpoint(checkpoint(3, 1001, 'checkpoint-b'))
      await store.putCheckpoint(checkpoint(2, 1002, 'checkpoint-c'))
      expect(await store.latestCheckpoint('main')).toEqual(checkpoint(3, 1001, 'checkpoint-b'))
      await store.putCheckpoint(checkpoint(3, 1005, 'checkpoint-d'))
      expect(await store.latestCheckpoint('main')).toEqual(checkpoint(3, 1005, 'checkpoint-d'))
      expect(await store.latestCheckpoint('other')).toBeUndefined()
    }))
}

/**
 * Registers the store conformance tests under `describe(name)`. Each test gets a
 * fresh store from `factory` and calls `cleanup` when done.
 *
 * @example
 * ```ts
 * import { describeStoreConformance } from '@writ/core/testing'
 * describeStoreConformance('sqlite', async () => {
 *   const store = createSqliteStore({ path: tmpFile() })
 *   return { store, cleanup: () => store.close() }
 * })
 * ```
 */
export function describeStoreConformance(name: string, factory: StoreFactory): void {
  const withStore: WithStore = async (test) => {
    const { store, cleanup } = await factory()
    try {
      await test(store)
    } finally {
      await cleanup()
    }
  }

  describe(`${name}: store conformance`, () => {
    describeChains(withStore)
    describeLookups(withStore)
    describeLimitCounting(withStore)
    describeLimitReservations(withStore)
    describeAtomicity(withStore)
    describeReplayAndCheckpoints(withStore)
    describeHoldConformance(withStore)
    describeTreeConformance(withStore, () => issuer())
  })
}
