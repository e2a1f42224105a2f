// The store
export {
  createSqliteStore,
  type SqliteStore,
  type SqliteStoreOptions,
  type SqliteStoreStats,
  type WalCheckpointResult,
} from './sqlite-store.js'
export type { GroupCommitOptions } from './group-commit.js'

// Schema
export { SCHEMA_VERSION } from './schema.js'
