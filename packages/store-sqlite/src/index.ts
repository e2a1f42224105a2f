// The store

export type { GroupCommitOptions } from './group-commit.js'
// Schema
export { SCHEMA_VERSION } from './schema.js'
export {
  createSqliteStore,
  type SqliteStore,
  type SqliteStoreOptions,
  type SqliteStoreStats,
  type WalCheckpointResult,
} from './sqlite-store.js'
