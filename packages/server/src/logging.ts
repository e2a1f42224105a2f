/**
 * The authority's structured log: JSON lines (pino), one object a line, to standard
 * output by default. Lines carry who asked (the agent named by the credential), what
 * was decided and why, never what was asked: argument values, request bodies, bearer
 * tokens and full receipts stay out, and a redaction list catches them should a caller
 * pass one by mistake.
 */
import { type DestinationStream, type Logger, pino } from 'pino'

/** The authority's logger: a pino logger. Log with `logger.info({ event: 'name', ... }, 'text')`. */
export type AuthorityLogger = Logger

/** Log levels, most severe first. `silent` writes nothing. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number]

/** Options of {@link createAuthorityLogger}. */
export interface AuthorityLoggerOptions {
  /** The lowest level written. Default `info`. */
  readonly level?: LogLevel
  /**
   * Where lines go: anything with `write(line)`, such as a Node stream or an in-memory
   * sink in tests. Default: standard output, written synchronously so nothing is lost
   * when the process exits.
   */
  readonly destination?: DestinationStream
}

/**
 * Members that must never reach a log line, whatever a caller passes: credentials,
 * argument values, bodies and full receipts. Their values are replaced by `[redacted]`.
 */
const REDACTED_KEYS = [
  'authorization',
  'token',
  'sessionKey',
  'password',
  'pin',
  'args',
  'arguments',
  'body',
  'receipt',
  'receipts',
  'context',
]

/**
 * Creates the authority's logger: JSON lines with an ISO `time`, the `level` as a word,
 * and the process's `pid` and `hostname`.
 *
 * @example
 * ```ts
 * const logger = createAuthorityLogger({ level: 'info' })
 * logger.info({ event: 'started', url }, 'authority listening')
 * ```
 */
export function createAuthorityLogger(options: AuthorityLoggerOptions = {}): AuthorityLogger {
  return pino(
    {
      level: options.level ?? 'info',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: {
        paths: REDACTED_KEYS.flatMap((key) => [key, `*.${key}`]),
        censor: '[redacted]',
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: true }),
  )
}

/** A logger that writes nothing: the default when none is given. */
export function silentLogger(): AuthorityLogger {
  return pino({ level: 'silent' })
}

/**
 * Reads a log level from a flag or the environment: one of {@link LOG_LEVELS}, in any
 * case, or `undefined` for anything else (the caller reports it as a usage error).
 */
export function parseLogLevel(text: string): LogLevel | undefined {
  return LOG_LEVELS.find((candidate) => candidate === text.trim().toLowerCase())
}
