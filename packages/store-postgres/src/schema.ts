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
  // Filtered reads (queryReceipts): the claims the console filters on, as columns with
  // indexes; receipts already stored get theirs from their tokens' payloads.
  `
  ALTER TABLE {schema}.receipts
    ADD COLUMN IF NOT EXISTS agent TEXT,
    ADD COLUMN IF NOT EXISTS action TEXT,
    ADD COLUMN IF NOT EXISTS rule TEXT,
    ADD COLUMN IF NOT EXISTS reason TEXT,
    ADD COLUMN IF NOT EXISTS policy TEXT;
  UPDATE {schema}.receipts AS r
    SET agent = c.claims->>'sub', action = c.claims->'act'->>'name', rule = c.claims->>'rule',
      reason = c.claims->>'reason', policy = c.claims->'policy'->>'digest'
    FROM (
      SELECT chain_id, seq, convert_from(decode(rpad(translate(p, '-_', '+/'),
        (length(p) + 3) / 4 * 4, '='), 'base64'), 'UTF8')::jsonb AS claims
      FROM (SELECT chain_id, seq, split_part(token, '.', 2) AS p FROM {schema}.receipts) t
    ) AS c
    WHERE r.chain_id = c.chain_id AND r.seq = c.seq AND r.agent IS NULL;
  CREATE INDEX IF NOT EXISTS receipts_agent ON {schema}.receipts (chain_id, agent, seq);
  CREATE INDEX IF NOT EXISTS receipts_action ON {schema}.receipts (chain_id, action, seq);
  CREATE INDEX IF NOT EXISTS receipts_decision ON {schema}.receipts (chain_id, decision, seq);
  CREATE INDEX IF NOT EXISTS receipts_rule ON {schema}.receipts (chain_id, rule, seq);
  CREATE INDEX IF NOT EXISTS receipts_reason ON {schema}.receipts (chain_id, reason, seq);
  CREATE INDEX IF NOT EXISTS receipts_policy ON {schema}.receipts (chain_id, policy, seq);
  CREATE INDEX IF NOT EXISTS receipts_iat ON {schema}.receipts (chain_id, iat);
  `,
]
