import {
  compilePolicy,
  createGate,
  generateSigningKey,
  guardAction,
  type LocalGate,
} from '@writ/core'
import { verifyChain, WritError } from '@writ/verify'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { openWithDriver, resolveDriver } from '../src/driver.js'
import { createSqliteStore, type SqliteStore, type SqliteStoreOptions } from '../src/index.js'
import { TRANSFER_POLICY } from './fixtures/policy.js'
import { collect, temporaryDirectory } from './helpers.js'

const policy = compilePolicy(TRANSFER_POLICY)
const key = generateSigningKey()

describe('a gate on a failing store never executes', () => {
  let directory: ReturnType<typeof temporaryDirectory>
  let store: SqliteStore
  let gate: LocalGate
  let executed: number

  function open(options: Omit<SqliteStoreOptions, 'path'> = {}): void {
    store = createSqliteStore({ path: directory.file(), ...options })
    gate = createGate({ policy, keys: key, issuer: 'https://gate.writ.test', store })
  }
  const transfer = (memo = '') =>
    guardAction(gate, { action: 'payments.transfer', args: { amount: 10, memo } }, (args) => {
      executed += 1
      return args
    })

  beforeEach(() => {
    directory = temporaryDirectory()
    executed = 0
  })
  afterEach(async () => {
    await store.close()
    directory.remove()
  })

  it.each([false, true])(
    'full disk: STORE_FULL, and the recorded chain still verifies (group commit %s)',
    async (groupCommit) => {
      open({ maxPageCount: 64, groupCommit })
      let refusal: unknown
      let succeeded = 0
      for (let attempt = 0; attempt < 10_000 && refusal === undefined; attempt++) {
        try {
          await transfer('x'.repeat(300))
          succeeded += 1
        } catch (error) {
          refusal = error
        }
      }
      expect(WritError.isInstance(refusal) && refusal.code).toBe('STORE_FULL')
      expect(executed).toBe(succeeded)
      expect(succeeded).toBeGreaterThan(5)
      const tokens = (await collect(store.receipts('main'))).map((receipt) => receipt.token)
      expect(tokens).toHaveLength(succeeded)
      expect(await verifyChain(tokens, gate.verifyKeys())).toMatchObject({
        valid: true,
        size: succeeded,
      })
    },
  )

  it('locked past the busy timeout: STORE_UNAVAILABLE', async () => {
    open({ busyTimeoutMs: 50 })
    await transfer()
    // The store's own driver: two copies of SQLite in one process do not see each other's locks.
    const other = openWithDriver(resolveDriver('auto'), directory.file(), 0)
    other.exec('BEGIN IMMEDIATE')
    try {
      const error = await transfer().catch((caught) => caught)
      expect(WritError.isInstance(error) && error.code).toBe('STORE_UNAVAILABLE')
      expect(executed).toBe(1)
    } finally {
      other.exec('ROLLBACK')
      other.close()
    }
    await transfer()
    expect(executed).toBe(2)
  })

  it('closed store: STORE_UNAVAILABLE', async () => {
    open({ groupCommit: true })
    await store.close()
    const error = await transfer().catch((caught) => caught)
    expect(WritError.isInstance(error) && error.code).toBe('STORE_UNAVAILABLE')
    expect(executed).toBe(0)
  })
})
