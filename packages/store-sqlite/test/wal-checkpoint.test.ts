import { existsSync, statSync } from 'node:fs'
import { compilePolicy, createGate, createKeyRing, generateSigningKey } from '@writ/core'
import { createKeySet, verifyChain, WritError } from '@writ/verify'
import { describe, expect, it } from 'vitest'
import { openWithDriver } from '../src/driver.js'
import { createSqliteStore, type SqliteStore } from '../src/index.js'
import { backgroundCheckpointer } from '../src/wal-checkpointer.js'
import { availableDrivers } from './drivers.js'
import { TRANSFER_POLICY } from './fixtures/policy.js'
import { collect, useTemporaryDirectory } from './helpers.js'
import { startWriter } from './process-runner.js'

// Where the write-ahead log is copied into the database file (src/wal-checkpointer.ts):
// with group commit on a thread of its own. Whatever the thread does, or fails to do,
// no acknowledged receipt may go missing and the chain must stay whole.

const key = generateSigningKey()
const keySet = createKeySet(createKeyRing(key).jwks())
const policy = compilePolicy(TRANSFER_POLICY)
const request = { action: 'payments.transfer', args: { amount: 10 }, agent: 'wal-test' }

async function until(check: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !check(); waited += 10) {
    if (waited > 10_000) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

/** Decides `count` requests through `store`, 32 at a time: the chain and the jtis acknowledged. */
async function decide(store: SqliteStore, count: number) {
  const gate = createGate({ policy, keys: key, issuer: 'wal-test', store })
  const jtis: string[] = []
  for (let done = 0; done < count; done += 32) {
    const decisions = await Promise.all(
      Array.from({ length: Math.min(32, count - done) }, () => gate.authorize(request)),
    )
    for (const decision of decisions) {
      expect(decision.decision).toBe('PERMIT')
      jtis.push(decision.claims.jti)
    }
  }
  return { chainId: gate.chainId, jtis }
}

/** Reopens `path` and checks that the chain holds exactly `jtis`, in a chain that verifies. */
async function expectWhole(path: string, chainId: string, jtis: readonly string[]) {
  const store = createSqliteStore({ path })
  try {
    const receipts = await collect(store.receipts(chainId))
    expect(receipts.map((receipt) => receipt.claims.jti)).toEqual(jtis)
    const verdict = await verifyChain(
      receipts.map((receipt) => receipt.token),
      keySet,
    )
    expect(verdict).toMatchObject({ valid: true, chainId, size: jtis.length })
  } finally {
    await store.close()
  }
}

const walBytes = (path: string) => (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0)

describe.each(availableDrivers())('WAL checkpoints (%s)', (driver) => {
  const directory = useTemporaryDirectory()

  it('with group commit, copies the log on its own thread and loses nothing', async () => {
    const path = directory.file()
    const store = createSqliteStore({ path, groupCommit: true, driver })
    const { chainId, jtis } = await decide(store, 1000)
    await until(() => store.stats().walCheckpoints.runs > 0, 'a background checkpoint')
    expect(store.stats().walCheckpoints).toMatchObject({ mode: 'background', failures: 0 })
    // The pages reached the database file, which only a checkpoint writes: SQLite's own
    // (held at 10,000 pages, ~40 MB of log) cannot have run yet, so the thread's did.
    const logged = walBytes(path)
    expect(logged).toBeLessThan(10_000 * 4096)
    expect(statSync(path).size).toBeGreaterThan(128 * 1024)
    await decide(store, 500).then(({ jtis: more }) => jtis.push(...more))
    await store.close()
    // The thread's connection closed first, so the store's, the last, folded the log in.
    expect(walBytes(path)).toBe(0)
    await expectWhole(path, chainId, jtis)
  })

  it('without group commit, and when asked, leaves checkpoints to SQLite', async () => {
    for (const options of [{}, { groupCommit: true, walCheckpoint: 'inline' as const }]) {
      const path = directory.file(`inline-${Object.keys(options).length}.db`)
      const store = createSqliteStore({ path, driver, ...options })
      const { chainId, jtis } = await decide(store, 300)
      expect(store.stats().walCheckpoints).toEqual({ mode: 'inline', runs: 0, failures: 0 })
      await store.close()
      await expectWhole(path, chainId, jtis)
    }
  })

  it('refuses an unknown mode before it opens anything', () => {
    const path = directory.file()
    let caught: unknown
    try {
      createSqliteStore({ path, walCheckpoint: 'sometimes' as 'inline' })
    } catch (error) {
      caught = error
    }
    expect(WritError.isInstance(caught) && caught.code).toBe('STORE_UNAVAILABLE')
    expect((caught as WritError).details).toMatchObject({ reason: 'options' })
    expect(existsSync(path)).toBe(false)
  })

  it('a thread that cannot open the file hands checkpoints back to SQLite', async () => {
    const path = directory.file()
    const database = openWithDriver(driver, path, 1000)
    database.pragma('journal_mode = WAL')
    const checkpointer = backgroundCheckpointer(
      database,
      { path: `${directory.path}/missing/dir/writ.db`, driver, busyTimeoutMs: 1000 },
      1,
    )
    // Started with SQLite's own mark raised, lowered back once the thread is gone.
    await until(() => checkpointer.stats().mode === 'inline', 'the thread to fail')
    expect(checkpointer.stats()).toMatchObject({ mode: 'inline', failures: 1 })
    expect(database.pragma('wal_autocheckpoint', { simple: true })).toBe(1000)
    checkpointer.committed(10)
    await checkpointer.close()
    database.close()
  })
})

describe('WAL checkpoints that cannot start', () => {
  const directory = useTemporaryDirectory()

  it('leave checkpoints to SQLite when the connection refuses the raised mark', async () => {
    const database = openWithDriver('better-sqlite3', directory.file(), 1000)
    database.close()
    // A closed connection refuses every pragma: no thread is left running, nothing throws.
    const checkpointer = backgroundCheckpointer(
      database,
      { path: directory.file(), driver: 'better-sqlite3', busyTimeoutMs: 1000 },
      1,
    )
    expect(checkpointer.stats()).toEqual({ mode: 'inline', runs: 0, failures: 1 })
    checkpointer.committed(5)
    await checkpointer.close()
  })
})

describe('WAL checkpoints across a crash', () => {
  const directory = useTemporaryDirectory()

  it('keeps every acknowledged receipt when a group-commit writer is SIGKILLed mid-run', async () => {
    const path = directory.file()
    const writer = startWriter({ path, chainId: 'crash', mode: 'group', count: 0, key })
    await writer.ready
    // Past several checkpoints' worth of appends, then killed wherever it is.
    await writer.printed(700 + Math.floor(Math.random() * 300))
    writer.child.kill('SIGKILL')
    expect((await writer.exited).signal).toBe('SIGKILL')
    const store = createSqliteStore({ path })
    try {
      const receipts = await collect(store.receipts('crash'))
      const found = new Set(receipts.map((receipt) => receipt.claims.jti))
      expect(writer.jtis.filter((jti) => !found.has(jti))).toEqual([])
      const verdict = await verifyChain(
        receipts.map((receipt) => receipt.token),
        keySet,
      )
      expect(verdict).toMatchObject({ valid: true, size: receipts.length })
    } finally {
      await store.close()
    }
  }, 60_000)
})
