import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, renameSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { WritError } from '@writ/verify'
import { describe, expect, it } from 'vitest'
import { openWithDriver, resolveDriver } from '../src/driver.js'
import { createSqliteReplayCache, createSqliteStore } from '../src/index.js'
import { availableDrivers, nodeHasUsableSqlite } from './drivers.js'
import { fakeIssuer, rejectionCode, thrownCode, useTemporaryDirectory } from './helpers.js'

describe('driver selection', () => {
  const directory = useTemporaryDirectory()

  it('auto opens node:sqlite on a Node that has it, better-sqlite3 otherwise', async () => {
    const store = createSqliteStore({ path: directory.file() })
    expect(store.stats().driver).toBe(nodeHasUsableSqlite() ? 'node' : 'better-sqlite3')
    expect(resolveDriver('auto')).toBe(store.stats().driver)
    await store.close()
  })

  it('refuses a driver it does not know before touching the file', () => {
    const options = { path: directory.file(), driver: 'sqlite3' as 'node' }
    expect(thrownCode(() => createSqliteStore(options))).toBe('STORE_UNAVAILABLE')
    expect(thrownCode(() => createSqliteReplayCache(options))).toBe('REPLAY_CACHE_UNAVAILABLE')
    expect(() => statSync(directory.file())).toThrow()
  })

  it("driver 'node' on a Node without a usable node:sqlite is DEPENDENCY_MISSING", async () => {
    if (nodeHasUsableSqlite()) {
      const store = createSqliteStore({ path: directory.file(), driver: 'node' })
      expect(store.stats().driver).toBe('node')
      await store.close()
    } else {
      expect(thrownCode(() => createSqliteStore({ path: directory.file(), driver: 'node' }))).toBe(
        'DEPENDENCY_MISSING',
      )
      expect(
        thrownCode(() => createSqliteReplayCache({ path: directory.file(), driver: 'node' })),
      ).toBe('DEPENDENCY_MISSING')
    }
  })

  it('better-sqlite3 missing is DEPENDENCY_MISSING naming it, not a crash or another store', () => {
    // The driver module alone, in a directory where better-sqlite3 cannot be found.
    const root = join(directory.path, 'isolated')
    mkdirSync(join(root, 'node_modules', '@writ'), { recursive: true })
    const verify = fileURLToPath(new URL('../../verify', import.meta.url))
    symlinkSync(verify, join(root, 'node_modules', '@writ', 'verify'))
    copyFileSync(
      fileURLToPath(new URL('../src/driver.ts', import.meta.url)),
      join(root, 'driver.ts'),
    )
    writeFileSync(
      join(root, 'probe.ts'),
      `import { openWithDriver } from './driver.ts'
try { openWithDriver('better-sqlite3', ${JSON.stringify(join(root, 'x.db'))}, 100); console.log('opened') }
catch (error) { console.log(JSON.stringify([error.code, error.details])) }`,
    )
    const tsx = dirname(createRequire(import.meta.url).resolve('tsx/package.json'))
    const loader = pathToFileURL(join(tsx, 'dist', 'loader.mjs')).href
    const run = spawnSync(process.execPath, ['--import', loader, 'probe.ts'], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    })
    expect(run.stderr).toBe('')
    expect(JSON.parse(run.stdout)).toEqual([
      'DEPENDENCY_MISSING',
      { operation: 'open', reason: 'driver', missing: 'better-sqlite3' },
    ])
    expect(() => statSync(join(root, 'x.db'))).toThrow()
  })
})

for (const driver of availableDrivers()) {
  describe(`the ${driver} driver`, () => {
    const directory = useTemporaryDirectory()

    it('creates a 0600 WAL file with synchronous=FULL and maps SQLite faults to store codes', async () => {
      const store = createSqliteStore({ path: directory.file(), driver, maxPageCount: 40 })
      expect(statSync(directory.file()).mode & 0o777).toBe(0o600)
      expect(statSync(`${directory.file()}-wal`).mode & 0o777).toBe(0o600)
      const stats = store.stats()
      expect([stats.driver, stats.journalMode, stats.synchronous]).toEqual([driver, 'wal', 'FULL'])
      await store.append('c', { now: 1 }, fakeIssuer({ jti: 'same' }))
      const head = await store.head('c')
      // A reused jti is a conflict, and the chain does not move.
      expect(await rejectionCode(store.append('c', { now: 2 }, fakeIssuer({ jti: 'same' })))).toBe(
        'STORE_CONFLICT',
      )
      expect(await store.head('c')).toEqual(head)
      let code = ''
      for (let round = 0; round < 2000 && code === ''; round++) {
        code = await store
          .append('c', { now: round }, fakeIssuer({ req: 'x'.repeat(900) }))
          .then(() => '')
          .catch((error) => (WritError.isInstance(error) ? error.code : String(error)))
      }
      expect(code).toBe('STORE_FULL')
      await store.close()
    })

    it('refuses with STORE_UNAVAILABLE (locked) while another connection writes', async () => {
      const store = createSqliteStore({ path: directory.file(), driver, busyTimeoutMs: 50 })
      await store.append('c', { now: 1 }, fakeIssuer())
      const other = openWithDriver(driver, directory.file(), 0)
      other.exec('BEGIN IMMEDIATE')
      try {
        const error = await store.append('c', { now: 2 }, fakeIssuer()).catch((caught) => caught)
        expect([error.code, error.details?.reason]).toEqual(['STORE_UNAVAILABLE', 'locked'])
      } finally {
        other.exec('ROLLBACK')
        other.close()
      }
      expect((await store.append('c', { now: 3 }, fakeIssuer())).claims.chain.seq).toBe(1)
      await store.close()
    })

    it('notices a replaced file (STORE_REPLACED) and refuses a file from a newer schema', async () => {
      const store = createSqliteStore({ path: directory.file(), driver })
      await store.append('c', { now: 1 }, fakeIssuer())
      const other = createSqliteStore({ path: directory.file('other.db'), driver })
      await other.close()
      renameSync(directory.file('other.db'), directory.file())
      const error = await store.head('c').catch((caught) => caught)
      expect([error.code, error.details?.reason]).toEqual(['STORE_UNAVAILABLE', 'STORE_REPLACED'])
      await store.close()
      const newer = openWithDriver(driver, directory.file('newer.db'), 0)
      newer.pragma('user_version = 999')
      newer.close()
      const refusal = (() => {
        try {
          createSqliteStore({ path: directory.file('newer.db'), driver })
        } catch (caught) {
          return caught as WritError
        }
      })()
      expect([refusal?.code, refusal?.details?.['reason']]).toEqual([
        'STORE_UNAVAILABLE',
        'schema-too-new',
      ])
    })

    it('claims a jti once in the replay cache', async () => {
      const cache = createSqliteReplayCache({ path: directory.file(), driver })
      expect([cache.claim('j', 10), cache.claim('j', 10), cache.claim('k', 10)]).toEqual([
        true,
        false,
        true,
      ])
      await cache.close()
    })
  })
}

if (availableDrivers().length === 2) {
  describe('both drivers', () => {
    const directory = useTemporaryDirectory()

    it('write the same file: a chain begun with one continues with the other', async () => {
      const [one, two] = availableDrivers() as ['node', 'better-sqlite3']
      const first = createSqliteStore({ path: directory.file(), driver: one, groupCommit: true })
      await Promise.all([1, 2, 3].map((now) => first.append('c', { now }, fakeIssuer())))
      await first.close()
      const second = createSqliteStore({ path: directory.file(), driver: two })
      const next = await second.append('c', { now: 4 }, fakeIssuer())
      expect(next.claims.chain.seq).toBe(3)
      expect(second.stats().receipts).toBe(4)
      await second.close()
    })
  })
}
