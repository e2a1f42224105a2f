import { WritError } from '@writ/verify'
import type { Database } from 'better-sqlite3'

/**
 * The schema, as an ordered list of migrations. Migration `i` takes the file from
 * `PRAGMA user_version = i` to `i + 1`. Never edit a released migration: append one.
 */
const migrations: readonly string[] = [
  `
  CREATE TABLE receipts (
    chain_id TEXT NOT NULL,
    seq INTEGER NOT NULL CHECK (seq >= 0),
    jti TEXT NOT NULL,
    req TEXT NOT NULL,
    decision TEXT NOT NULL,
    iat INTEGER NOT NULL,
    digest TEXT NOT NULL,
    prev TEXT,
    token TEXT NOT NULL,
    claims TEXT NOT NULL,
    PRIMARY KEY (chain_id, seq)
  );
  CREATE UNIQUE INDEX receipts_jti ON receipts (jti);
  CREATE INDEX receipts_req ON receipts (req);

  CREATE TABLE reservations (
    key TEXT NOT NULL,
    at INTEGER NOT NULL,
    amount REAL NOT NULL,
    limit_id TEXT NOT NULL,
    jti TEXT NOT NULL
  );
  CREATE INDEX reservations_key_at ON reservations (key, at);

  CREATE TABLE checkpoints (
    chain_id TEXT NOT NULL,
    size INTEGER NOT NULL CHECK (size >= 0),
    head TEXT,
    iat INTEGER NOT NULL,
    token TEXT NOT NULL UNIQUE
  );
  CREATE INDEX checkpoints_chain ON checkpoints (chain_id, size, iat);

  CREATE TABLE replay (
    jti TEXT PRIMARY KEY,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX replay_expires ON replay (expires_at);
  `,
]

/** The schema version this code writes. */
export const SCHEMA_VERSION = migrations.length

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
      // Written on every open, on purpose: a file SQLite silently opened read-only
      // fails here, at open, instead of at the first append.
      database.pragma(`user_version = ${SCHEMA_VERSION}`)
    })
    .immediate()
}
