import { renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { WritError } from '@writ/verify'
import { describe, expect, it } from 'vitest'
import { createSqliteStore } from '../src/index.js'
import { fakeIssuer, temporaryDirectory } from './helpers.js'

async function failure(promise: Promise<unknown>): Promise<WritError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  )
  if (!WritError.isInstance(error)) throw new Error('expected a WritError')
  return error
}

describe('the store file is the one it opened', () => {
  it('fails every operation with STORE_UNAVAILABLE (STORE_REPLACED) once the file is deleted', async () => {
    const directory = temporaryDirectory()
    const dir = directory.path
    const path = join(dir, 'writ.db')
    const store = createSqliteStore({ path, groupCommit: true })
    await store.append('c', { now: 1 }, fakeIssuer())
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true })
    const append = await failure(store.append('c', { now: 2 }, fakeIssuer()))
    expect([append.code, append.details?.['reason']]).toEqual([
      'STORE_UNAVAILABLE',
      'STORE_REPLACED',
    ])
    const head = await failure(store.head('c'))
    expect([head.code, head.details?.['reason']]).toEqual(['STORE_UNAVAILABLE', 'STORE_REPLACED'])
    // Once noticed, reads fail too, not only the checked operations.
    const read = await failure(store.receipt('any'))
    expect(read.details?.['reason']).toBe('STORE_REPLACED')
    await store.close()
    directory.remove()
  })

  it('notices another file renamed over it at the next head()', async () => {
    const directory = temporaryDirectory()
    const dir = directory.path
    const path = join(dir, 'writ.db')
    const store = createSqliteStore({ path })
    await store.append('c', { now: 1 }, fakeIssuer())
    await createSqliteStore({ path: join(dir, 'other.db') }).close()
    renameSync(join(dir, 'other.db'), path)
    const head = await failure(store.head('c'))
    expect([head.code, head.details?.['reason'], head.details?.['file']]).toEqual([
      'STORE_UNAVAILABLE',
      'STORE_REPLACED',
      'replaced',
    ])
    await store.close()
    directory.remove()
  })
})
