// The schema as data, apart from the driver: the public declarations (SCHEMA_VERSION)
// must not reach the SQLite driver's types, which users need not install.

/**
 * The schema, as an ordered list of migrations. Migration `i` takes the file from
 * `PRAGMA user_version = i` to `i + 1`. Never edit a released migration: append one.
 */
export const migrations: readonly string[] = [
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
  // Transparency (spec section 12): complete-subtree hashes and checkpoint notes. Receipts
  // already in the file get their trees in the same transaction (see backfillTrees).
  `
  CREATE TABLE tree_nodes (
    chain_id TEXT NOT NULL,
    level INTEGER NOT NULL CHECK (level >= 0),
    idx INTEGER NOT NULL CHECK (idx >= 0),
    hash BLOB NOT NULL,
    PRIMARY KEY (chain_id, level, idx)
  ) WITHOUT ROWID;

  CREATE TABLE checkpoint_notes (
    chain_id TEXT NOT NULL,
    size INTEGER NOT NULL CHECK (size >= 0),
    note TEXT NOT NULL,
    PRIMARY KEY (chain_id, size)
  ) WITHOUT ROWID;
  `,
  // Filtered reads (queryReceipts): indexes on the claims the console filters on. They are
  // on expressions of the stored claims, so receipts already in the file are covered.
  `
  CREATE INDEX IF NOT EXISTS receipts_agent ON receipts (chain_id, json_extract(claims, '$.sub'), seq);
  CREATE INDEX IF NOT EXISTS receipts_action ON receipts (chain_id, json_extract(claims, '$.act.name'), seq);
  CREATE INDEX IF NOT EXISTS receipts_decision ON receipts (chain_id, decision, seq);
  CREATE INDEX IF NOT EXISTS receipts_rule ON receipts (chain_id, json_extract(claims, '$.rule'), seq);
  CREATE INDEX IF NOT EXISTS receipts_reason ON receipts (chain_id, json_extract(claims, '$.reason'), seq);
  CREATE INDEX IF NOT EXISTS receipts_policy ON receipts (chain_id, json_extract(claims, '$.policy.digest'), seq);
  CREATE INDEX IF NOT EXISTS receipts_iat ON receipts (chain_id, iat);
  `,
]

/** The schema version this code writes. */
export const SCHEMA_VERSION = migrations.length
