/**
 * Opening an existing SQLite store for reading: a path that does not exist is an
 * `IO_ERROR`, not a new empty store that would verify as "nothing wrong".
 */
import { createSqliteStore, type SqliteStore } from '@writ/store-sqlite'
import { requireFile } from './files.js'
import type { CliIo } from './io.js'

/** Opens the store at `path`, which must already exist. */
export function openExistingStore(io: CliIo, path: string): SqliteStore {
  return createSqliteStore({ path: requireFile(io, path, 'store') })
}

/** The tokens of one chain, in `seq` order, streamed from the store. */
export async function* chainTokens(store: SqliteStore, chainId: string): AsyncGenerator<string> {
  for await (const stored of store.receipts(chainId)) yield stored.token
}
