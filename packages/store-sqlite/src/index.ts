// The store

export type { SqliteDriverName } from './driver.js'
export type { GroupCommitOptions } from './group-commit.js'
// A replay cache for receiving services (no authority needed)
export {
  createSqliteReplayCache,
  type SqliteReplayCache,
  type SqliteReplayCacheOptions,
} from './replay-cache.js'
// Schema
export { SCHEMA_VERSION } from './schema.js'
export {
  createSqliteStore,
  type SqliteStore,
  type SqliteStoreOptions,
  type SqliteStoreStats,
  type TransactionTimes,
  type WalCheckpointResult,
} from './sqlite-store.js'
export type { SqliteReceiptColumns } from './statements.js'
export type { WalCheckpointMode, WalCheckpointStats } from './wal-checkpointer.js'
