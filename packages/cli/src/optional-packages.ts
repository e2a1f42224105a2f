/**
 * The packages only some commands need: `writ serve` needs `@writ/server` (and with it
 * `hono`), a PostgreSQL store needs `@writ/store-postgres` and `pg`. They are optional
 * peer dependencies of `@writ/cli`, loaded when first used, so that `writ keygen`,
 * `writ verify` or `writ chain verify` on a SQLite file install and start without
 * them. When one is missing, the command stops with `DEPENDENCY_MISSING` (exit 3),
 * naming what to install. The `@writ/*` ones are released together with the CLI: one
 * of another version is refused the same way (their peer range is `*`, so the check is
 * here), naming the version to install.
 */
import { createRequire } from 'node:module'
import { CliError } from './cli-error.js'
import { cliVersion } from './version.js'

/** What `@writ/server` offers, as the CLI uses it. */
export type ServerPackage = typeof import('@writ/server')
/** What `@writ/store-postgres` offers, as the CLI uses it. */
export type PostgresStorePackage = typeof import('@writ/store-postgres')
/** What `pg` offers, as the CLI uses it. */
export type PgPackage = typeof import('pg')

/** The package Node could not find, read from a module-not-found error, if it is one. */
function missingPackage(error: unknown, candidates: readonly string[]): string | undefined {
  if ((error as NodeJS.ErrnoException | undefined)?.code !== 'ERR_MODULE_NOT_FOUND')
    return undefined
  const message = String((error as Error).message)
  return candidates.find((name) => message.includes(`'${name}'`) || message.includes(`/${name}/`))
}

/**
 * Imports an optional package, or throws `DEPENDENCY_MISSING` naming the packages to
 * install for `purpose`.
 */
async function importOptional<T>(
  load: () => Promise<T>,
  packages: readonly string[],
  purpose: string,
): Promise<T> {
  try {
    return await load()
  } catch (error) {
    const missing = missingPackage(error, [...packages, 'hono', '@hono/node-server'])
    if (missing === undefined) throw error
    throw new CliError(
      'DEPENDENCY_MISSING',
      `${purpose} needs ${packages.join(' and ')}, which ${packages.length > 1 ? 'are' : 'is'} not installed (${missing} is missing): run npm install ${packages.join(' ')}`,
      { cause: error, details: { missing, install: packages } },
    )
  }
}

/** Refuses a `@writ/*` package of another release than this CLI's. */
function requireSameRelease(name: string, purpose: string): void {
  const expected = cliVersion()
  let found: unknown
  try {
    found = (createRequire(import.meta.url)(`${name}/package.json`) as { version?: unknown })
      .version
  } catch {
    return // a package without a readable manifest: nothing to compare
  }
  if (found === expected || expected === 'unknown') return
  throw new CliError(
    'DEPENDENCY_MISSING',
    `${purpose} needs ${name}@${expected}, the release of this writ, but ${name}@${String(found)} is installed: run npm install ${name}@${expected}`,
    { details: { missing: name, found, install: [`${name}@${expected}`] } },
  )
}

/** `@writ/server`, for `writ serve` and `writ token new`. */
export async function loadServerPackage(purpose: string): Promise<ServerPackage> {
  const server = await importOptional(() => import('@writ/server'), ['@writ/server'], purpose)
  requireSameRelease('@writ/server', purpose)
  return server
}

/** `@writ/store-postgres` and `pg`, for a PostgreSQL store. */
export async function loadPostgresPackages(): Promise<{
  readonly store: PostgresStorePackage
  readonly pg: PgPackage['default']
}> {
  const purpose = 'a PostgreSQL store'
  const packages = ['@writ/store-postgres', 'pg']
  const store = await importOptional(() => import('@writ/store-postgres'), packages, purpose)
  requireSameRelease('@writ/store-postgres', purpose)
  const pg = await importOptional(() => import('pg'), packages, purpose)
  return { store, pg: pg.default }
}
