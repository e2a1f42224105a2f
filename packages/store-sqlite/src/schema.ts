import { WritError } from '@writ/verify'
import type { Database } from './driver.js'
import { migrations, SCHEMA_VERSION } from './migrations.js'
import { backfillTrees } from './tree-statements.js'

export { SCHEMA_VERSION }

/** The migration that adds Merkle trees: files from before it get theirs built. */
const TREE_MIGRATION = migrations.findIndex((sql) => sql.includes('CREATE TABLE tree_nodes'))

/**
 * Brings the file to {@link SCHEMA_VERSION} in one immediate transaction, so two
 * processes opening a new file at once do not both migrate it. A file written by
 * a newer version of this package is refused rather than guessed at.
 */
export function migrate(database: Database): void {
  database
    .transaction(() => {
      const current = database.pragma('user_version', { simple: true }) as number
      if (current > SCHEMA_VERSION) {
        throw new WritError(
          'STORE_UNAVAILABLE',
          `The store file has schema version ${current}; this code knows up to ${SCHEMA_VERSION}`,
          { details: { operation: 'open', reason: 'schema-too-new', version: current } },
        )
      }
      for (let version = current; version < SCHEMA_VERSION; version++) {
        database.exec(migrations[version] as string)
      }
      if (current > 0 && current <= TREE_MIGRATION) backfillTrees(database)
      // Written on every open, on purpose: a file SQLite silently opened read-only
      // fails here, at open, instead of at the first append.
      database.pragma(`user_version = ${SCHEMA_VERSION}`)
    })
    .immediate()
}
