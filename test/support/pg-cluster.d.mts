/** A throwaway PostgreSQL cluster on 127.0.0.1 (see pg-cluster.mjs). */
export interface PgCluster {
  /** `postgres://writ@127.0.0.1:PORT/postgres`, trust authentication. */
  readonly url: string
  readonly port: number
  /** `postgres --version` of the server binaries used. */
  readonly version: string
  /** Stops the server at once (`-m immediate`), as a crash would. */
  stop(): void
  /** SIGKILLs the server and its backends (no shutdown at all); `start` then recovers from the WAL. */
  kill(): void
  /** Starts it again; returns once it accepts connections. */
  start(): void
  /** Stops it if running and removes its files. */
  destroy(): void
}

/** The bin folder of the newest PostgreSQL server installed, or undefined. */
export function postgresBinDir(): string | undefined

/** Starts a cluster in a temporary folder on a free port. */
export function startPgCluster(): Promise<PgCluster>

/** Calls `attempt` until it resolves, at most `attempts` times in a row; rejects with the last failure. */
export function firstAccepted<T>(attempts: number, attempt: () => Promise<T>): Promise<T>
