/**
 * Store files (item: SQLite files are private). Receipts carry URIs, and an unexpired
 * PERMIT is a bearer token for its lifetime: the SQLite store's database and its `-wal`
 * and `-shm` files are created readable and writable by their owner only (0600),
 * whatever the process umask.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createSqliteReplayCache, createSqliteStore } from '@writ/store-sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import { makeGate } from './support.js'

const directories: string[] = []
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true })
})

function temporaryFile(): string {
  const directory = mkdtempSync(join(tmpdir(), 'writ-mode-'))
  directories.push(directory)
  return join(directory, 'writ.db')
}

function modeOf(path: string): number {
  return statSync(path).mode & 0o777
}

/** Runs `work` with a permissive umask (0o000), the worst case for file modes. */
async function withUmask<T>(mask: number, work: () => Promise<T>): Promise<T> {
  const previous = process.umask(mask)
  try {
    return await work()
  } finally {
    process.umask(previous)
  }
}

describe('store files are private', () => {
  it.each([
    ['022', 0o022],
    ['000', 0o000],
  ])('the store creates its database, -wal and -shm 0600 (umask %s)', async (_, mask) => {
    const path = temporaryFile()
    await withUmask(mask, async () => {
      const store = createSqliteStore({ path })
      const gate = makeGate({ store })
      await gate.authorize({ action: 'payments.transfer', args: { amount: 1 } })
      try {
        for (const file of [path, `${path}-wal`, `${path}-shm`]) {
          expect(existsSync(file)).toBe(true)
          expect(modeOf(file).toString(8)).toBe('600')
        }
      } finally {
        await store.close()
      }
    })
  })

  it('a standalone replay cache creates its files 0600', async () => {
    const path = temporaryFile()
    await withUmask(0o000, async () => {
      const replay = createSqliteReplayCache({ path })
      await replay.claim('jti-1', Math.floor(Date.now() / 1000) + 60)
      try {
        for (const file of [path, `${path}-wal`, `${path}-shm`])
          expect(modeOf(file).toString(8)).toBe('600')
      } finally {
        await replay.close()
      }
    })
  })
})
