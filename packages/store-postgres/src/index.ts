// The PostgreSQL store
export { createPostgresStore, type PostgresStoreOptions } from './postgres-store.js'
