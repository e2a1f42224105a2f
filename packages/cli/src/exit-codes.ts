/**
 * The exit codes of `writ`. Stable: scripts branch on them.
 */

/** Exit codes, by meaning. */
export const EXIT_CODES = Object.freeze({
  /** The command did what was asked (a receipt was issued, a token verified, a policy is valid). */
  ok: 0,
  /** A verification failed, a policy test failed, or a policy is invalid. */
  failed: 1,
  /** The command line is wrong: unknown command or flag, missing or malformed argument. */
  usage: 2,
  /** An input could not be read or used: missing file, bad key, unreadable store. */
  input: 3,
  /** Something went wrong inside Writ. A bug: please report it. */
  internal: 4,
  /** `writ serve` could not listen where asked: the port is in use or the address unavailable. */
  unavailable: 5,
  /**
   * `writ serve` refused a chain id whose history lives elsewhere (CHAIN_HISTORY_EXISTS):
   * the store is behind a checkpoint this chain already published.
   */
  history: 6,
} as const)

/** One of the {@link EXIT_CODES}. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES]
