// The PostgreSQL store
export { createPostgresStore, type PostgresStoreOptions } from './postgres-store.js'
// A replay cache for receiving services (no authority needed)
export {
  createPostgresReplayCache,
  type PostgresReplayCache,
  type PostgresReplayCacheOptions,
} from './replay-cache.js'
