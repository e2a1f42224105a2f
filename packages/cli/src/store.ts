/**
 * The stores the CLI reads and audits: a SQLite file or a PostgreSQL database, named
 * the same way for every command that takes one. A store that does not exist is an
 * `IO_ERROR`, never a new empty store that would verify as "nothing wrong".
 *
 * Where the store is: `--store DB` (a SQLite path, or a `postgres://` URL without a
 * password), `--store-url-file FILE` (a file, mode 0600, holding the URL with its
 * password), or the environment: `WRIT_STORE_URL`, `WRIT_STORE_URL_FILE`, `WRIT_STORE`.
 * A password on the command line is refused (`SECRET_ON_COMMAND_LINE`): every user of
 * the machine can read it from the process list.
 */
import type { Store } from '@writ/core'
import { createSqliteStore } from '@writ/store-sqlite'
import type { JwkSet } from '@writ/verify'
import { CliError, usageError } from './cli-error.js'
import { type ParsedInput, stringFlag } from './command.js'
import { requireFile, resolvePath } from './files.js'
import type { CliIo } from './io.js'
import { loadPostgresPackages } from './optional-packages.js'
import { environmentStore, hasPassword, readSecretFile, storeAt } from './serve-config.js'
import {
  findPostgresRowMismatch,
  findRowMismatch,
  postgresChains,
  type RowMismatch,
} from './store-rows.js'

/** The flags that name a store. */
export const STORE_FLAGS = {
  store: { type: 'string' },
  'store-url-file': { type: 'string' },
} as const

/**
 * The flags of a command over one chain of a store: where the store is (`--store`,
 * `--store-url-file`), which chain (`--chain`) and `--json`.
 */
export const STORE_CHAIN_FLAGS = {
  ...STORE_FLAGS,
  chain: { type: 'string' },
  json: { type: 'boolean' },
} as const

/** Where a store is. */
export type StoreLocation =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'postgres'; readonly url: string }

/**
 * The store named by `--store`, `--store-url-file` or (unless `environment` is false)
 * the environment, or `undefined` when none is named.
 *
 * @throws CliError `SECRET_ON_COMMAND_LINE` for a password in `--store`; `USAGE` for
 *   both flags at once; `FILE_UNSAFE` for a URL file others may read.
 */
export function storeLocation(
  input: ParsedInput,
  io: CliIo,
  options: { readonly environment?: boolean } = {},
): StoreLocation | undefined {
  const flag = stringFlag(input, 'store')
  const urlFile = stringFlag(input, 'store-url-file')
  if (flag !== undefined && hasPassword(flag))
    throw new CliError(
      'SECRET_ON_COMMAND_LINE',
      '--store holds a password, which anyone on this machine can read from the process list; set WRIT_STORE_URL, or name a file with the URL in --store-url-file',
    )
  if (flag !== undefined && urlFile !== undefined)
    throw usageError('give one of --store DB or --store-url-file FILE')
  if (flag !== undefined) return storeAt(flag, (path) => resolvePath(io, path))
  if (urlFile !== undefined)
    return { kind: 'postgres', url: readSecretFile(io, urlFile, 'store URL file') }
  return options.environment === false ? undefined : environmentStore(io)
}

/** {@link storeLocation}, or a usage error when no store is named. */
export function requireStoreLocation(input: ParsedInput, io: CliIo): StoreLocation {
  const location = storeLocation(input, io)
  if (location === undefined)
    throw usageError(
      'no store: give --store DB (SQLite or postgres:// URL), --store-url-file FILE, or set WRIT_STORE_URL',
    )
  return location
}

/** An existing store opened for auditing, with what only its backend can tell. */
export interface ExistingStore {
  readonly store: Store
  /** Every chain the store holds, including chains that have receipts but no head row. */
  chains(): Promise<string[]>
  /** The first row of `chainId` whose stored columns disagree with its signed token. */
  rowMismatch(chainId: string): Promise<RowMismatch | undefined>
  /** The public keys the store records, if it records any. */
  readonly recordedKeys?: () => Promise<JwkSet> | JwkSet
  close(): Promise<void>
}

/** The schema `writ serve` keeps its tables in. */
const POSTGRES_SCHEMA = 'writ'

async function openExistingPostgres(url: string): Promise<ExistingStore> {
  const { store: postgresStore, pg } = await loadPostgresPackages()
  const pool = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 5000 })
  pool.on('error', () => {})
  try {
    let found: string | null
    try {
      const result = await pool.query<{ found: string | null }>(
        'SELECT to_regclass($1)::text AS found',
        [`${POSTGRES_SCHEMA}.receipts`],
      )
      found = result.rows[0]?.found ?? null
    } catch (error) {
      throw new CliError('IO_ERROR', `cannot reach the PostgreSQL store: ${String(error)}`, {
        cause: error,
      })
    }
    // Opening the store would create its tables: an empty database must not pass an audit.
    if (found === null)
      throw new CliError(
        'IO_ERROR',
        `no Writ store in this PostgreSQL database (no table ${POSTGRES_SCHEMA}.receipts)`,
      )
    const store = await postgresStore.createPostgresStore({ pool, schema: POSTGRES_SCHEMA })
    return {
      store,
      chains: async () =>
        [
          ...new Set([...(await store.chains()), ...(await postgresChains(pool, POSTGRES_SCHEMA))]),
        ].sort(),
      rowMismatch: (chainId) => findPostgresRowMismatch(pool, POSTGRES_SCHEMA, chainId),
      close: async () => {
        await store.close()
        await pool.end()
      },
    }
  } catch (error) {
    await pool.end().catch(() => undefined)
    throw error
  }
}

/** A store that records the public keys it signed with, if this one does. */
function recordedKeysOf(store: object): (() => Promise<JwkSet> | JwkSet) | undefined {
  const candidate = (store as { publicKeys?: unknown }).publicKeys
  return typeof candidate === 'function'
    ? (candidate.bind(store) as () => Promise<JwkSet> | JwkSet)
    : undefined
}

/** Opens the store at `location`, which must already exist. */
export async function openExistingStore(
  io: CliIo,
  location: StoreLocation,
): Promise<ExistingStore> {
  if (location.kind === 'postgres') return openExistingPostgres(location.url)
  const store = createSqliteStore({ path: requireFile(io, location.path, 'store') })
  const recordedKeys = recordedKeysOf(store)
  return {
    store,
    chains: () => store.chains(),
    rowMismatch: (chainId) => findRowMismatch(store.rows(chainId)),
    ...(recordedKeys === undefined ? {} : { recordedKeys }),
    close: () => store.close(),
  }
}

/**
 * Opens the store at `location` to append to it: a SQLite file is created when missing,
 * a PostgreSQL database gets Writ's tables when it has none.
 */
export async function openStore(location: StoreLocation): Promise<Store> {
  if (location.kind === 'sqlite') return createSqliteStore({ path: location.path })
  const { store } = await loadPostgresPackages()
  return store.createPostgresStore({ connectionString: location.url })
}

/** The tokens of one chain, in `seq` order, streamed from the store. */
export async function* chainTokens(store: Store, chainId: string): AsyncGenerator<string> {
  for await (const stored of store.receipts(chainId)) yield stored.token
}
