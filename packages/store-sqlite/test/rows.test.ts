import { join } from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { createSqliteStore, type SqliteReceiptColumns } from '../src/index.js'
import { availableDrivers } from './drivers.js'
import { fakeIssuer, temporaryDirectory } from './helpers.js'

async function collect(rows: AsyncIterable<SqliteReceiptColumns>): Promise<SqliteReceiptColumns[]> {
  const all: SqliteReceiptColumns[] = []
  for await (const row of rows) all.push(row)
  return all
}

describe.each(availableDrivers())('rows() with the %s driver', (driver) => {
  it('reads every row of one chain in seq order, past one page, with its columns as stored', async () => {
    const directory = temporaryDirectory()
    const path = join(directory.path, 'writ.db')
    const store = createSqliteStore({ path, driver })
    for (let i = 0; i < 300; i++) await store.append('a', { now: 1 }, fakeIssuer())
    await store.append('b', { now: 1 }, fakeIssuer())
    const rows = await collect(store.rows('a'))
    expect(rows.map((row) => row.seq)).toEqual(Array.from({ length: 300 }, (_, i) => i))
    const tokens: string[] = []
    for await (const stored of store.receipts('a')) tokens.push(stored.token)
    expect(rows.map((row) => row.token)).toEqual(tokens)
    expect(rows.every((row) => row.chain_id === 'a' && row.decision === 'PERMIT')).toBe(true)
    await store.close()
    directory.remove()
  })

  it('returns an edited column as it is on disk, not as the token says', async () => {
    const directory = temporaryDirectory()
    const path = join(directory.path, 'writ.db')
    const first = createSqliteStore({ path, driver })
    await first.append('a', { now: 1 }, fakeIssuer({ decision: 'DENY' }))
    await first.close()
    const editor = new Database(path)
    editor.prepare("UPDATE receipts SET decision = 'PERMIT' WHERE seq = 0").run()
    editor.close()
    const store = createSqliteStore({ path, driver })
    const [row] = await collect(store.rows('a'))
    expect(row?.decision).toBe('PERMIT')
    expect(
      JSON.parse(Buffer.from(row?.token.split('.')[1] ?? '', 'base64url').toString()).decision,
    ).toBe('DENY')
    await store.close()
    directory.remove()
  })
})
