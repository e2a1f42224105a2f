import type { LimitCheck } from '@writ/core'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createSqliteStore, type SqliteStore } from '../src/index.js'
import { fakeIssuer, rejectionCode, temporaryDirectory } from './helpers.js'

const spend = (amount: number, max = 100): LimitCheck => ({
  id: 'daily-spend',
  key: 'daily-spend|agent:a',
  windowSeconds: 60,
  max,
  amount,
})

describe.each([
  ['plain', false],
  ['group commit', true],
] as const)('limits (%s)', (_name, groupCommit) => {
  let directory: ReturnType<typeof temporaryDirectory>
  let store: SqliteStore

  beforeEach(() => {
    directory = temporaryDirectory()
    store = createSqliteStore({ path: directory.file(), groupCommit })
  })
  afterEach(async () => {
    await store.close()
    directory.remove()
  })

  it('sums the window and reports the first exceeded limit', async () => {
    const seen: (string | null)[] = []
    const issue = fakeIssuer()
    const record = (limits: LimitCheck[], now: number) =>
      store.append('c', { now, limits }, (context) => {
        seen.push(context.exceeded?.id ?? null)
        return issue(context)
      })
    await record([spend(60)], 1000)
    await record([spend(40)], 1001) // exactly max: fits
    const count: LimitCheck = {
      id: 'count',
      key: 'count|agent:a',
      windowSeconds: 60,
      max: 10,
      amount: 1,
    }
    const denied = await record([count, spend(1)], 1002)
    expect(seen).toEqual([null, null, 'daily-spend'])
    expect(denied.claims.decision).toBe('DENY')
    // The DENY reserved nothing: the count limit still has its full room.
    for (let index = 0; index < 10; index++) await record([count], 1003)
    expect(seen.slice(3)).toEqual(Array(10).fill(null))
    await record([count], 1003)
    expect(seen.at(-1)).toBe('count')
  })

  it('rolls the window: a reservation counts while at > now - windowSeconds', async () => {
    const exceeded: (string | null)[] = []
    const issue = fakeIssuer()
    const record = (amount: number, now: number) =>
      store.append('c', { now, limits: [spend(amount)] }, (context) => {
        exceeded.push(context.exceeded?.id ?? null)
        return issue(context)
      })
    await record(100, 1000)
    await record(1, 1059) // 1000 > 1059 - 60: still inside
    await record(1, 1060) // 1000 > 1000 is false: the first reservation has left the window
    expect(exceeded).toEqual([null, 'daily-spend', null])
  })

  it('reserves only when the issuer says reserve', async () => {
    const limits = [spend(100)]
    await store.append('c', { now: 1, limits }, fakeIssuer({ decision: 'SILENCE', reserve: false }))
    const permit = await store.append('c', { now: 2, limits }, fakeIssuer())
    expect(permit.claims.decision).toBe('PERMIT')
    const over = await store.append('c', { now: 3, limits: [spend(1)] }, fakeIssuer())
    expect(over.claims.decision).toBe('DENY')
  })

  it('refuses a PERMIT or a reservation past an exceeded limit (STORE_CONFLICT)', async () => {
    await store.append('c', { now: 1, limits: [spend(100)] }, fakeIssuer())
    expect(
      await rejectionCode(
        store.append(
          'c',
          { now: 2, limits: [spend(1)] },
          fakeIssuer({ decision: 'PERMIT', reserve: false }),
        ),
      ),
    ).toBe('STORE_CONFLICT')
    expect(
      await rejectionCode(
        store.append(
          'c',
          { now: 2, limits: [spend(1)] },
          fakeIssuer({ decision: 'DENY', reserve: true }),
        ),
      ),
    ).toBe('STORE_CONFLICT')
    expect(store.stats().receipts).toBe(1)
  })

  it('never exceeds max under concurrent appends, from one store and from a second one on the file', async () => {
    const second = createSqliteStore({ path: directory.file(), groupCommit })
    try {
      const appends = Array.from({ length: 80 }, (_, index) =>
        (index % 2 === 0 ? store : second).append(
          `chain-${index % 2}`,
          { now: 500, limits: [spend(3)] },
          fakeIssuer(),
        ),
      )
      const receipts = await Promise.all(appends)
      const permits = receipts.filter((receipt) => receipt.claims.decision === 'PERMIT')
      expect(permits).toHaveLength(33) // 33 × 3 = 99 <= 100 < 102
    } finally {
      await second.close()
    }
  })
})
