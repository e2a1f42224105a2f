/**
 * The PostgreSQL schema, as ordered migrations. Migration `i` moves the database
 * from version `i` to `i + 1`; released migrations are never edited.
 */
export const migrations: readonly string[] = [
  `
  CREATE TABLE IF NOT EXISTS {schema}.chains (
    chain_id TEXT PRIMARY KEY,
    next_seq BIGINT NOT NULL,
    head TEXT
  );
  CREATE TABLE IF NOT EXISTS {schema}.receipts (
    chain_id TEXT NOT NULL,
    seq BIGINT NOT NULL CHECK (seq >= 0),
    jti TEXT NOT NULL UNIQUE,
    req TEXT NOT NULL,
    decision TEXT NOT NULL,
    iat BIGINT NOT NULL,
    digest TEXT NOT NULL,
    prev TEXT,
    token TEXT NOT NULL,
    PRIMARY KEY (chain_id, seq)
  );
  CREATE INDEX IF NOT EXISTS receipts_req ON {schema}.receipts (req);
  CREATE TABLE IF NOT EXISTS {schema}.reservations (
    key TEXT NOT NULL,
    at BIGINT NOT NULL,
    amount DOUBLE PRECISION NOT NULL,
    limit_id TEXT NOT NULL,
    jti TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS reservations_key_at ON {schema}.reservations (key, at);
  CREATE TABLE IF NOT EXISTS {schema}.checkpoints (
    chain_id TEXT NOT NULL,
    size BIGINT NOT NULL CHECK (size >= 0),
    head TEXT,
    iat BIGINT NOT NULL,
    token TEXT NOT NULL UNIQUE,
    recorded BIGSERIAL
  );
  CREATE INDEX IF NOT EXISTS checkpoints_chain ON {schema}.checkpoints (chain_id, size, iat);
  CREATE TABLE IF NOT EXISTS {schema}.replay (
    jti TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS replay_expires ON {schema}.replay (expires_at);
  `,
  // Transparency (spec section 12): complete-subtree hashes and checkpoint notes. Receipts
  // already stored get their trees in the same transaction (see backfillTrees).
  `
  CREATE TABLE IF NOT EXISTS {schema}.tree_nodes (
    chain_id TEXT NOT NULL,
    level INTEGER NOT NULL CHECK (level >= 0),
    idx BIGINT NOT NULL CHECK (idx >= 0),
    hash BYTEA NOT NULL,
    PRIMARY KEY (chain_id, level, idx)
  );
  CREATE TABLE IF NOT EXISTS {schema}.checkpoint_notes (
    chain_id TEXT NOT NULL,
    size BIGINT NOT NULL CHECK (size >= 0),
    note TEXT NOT NULL,
    PRIMARY KEY (chain_id, size)
  );
  `,
]
