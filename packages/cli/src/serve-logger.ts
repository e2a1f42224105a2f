/**
 * The log of `writ serve`: JSON lines on standard output (one per request, and one for
 * each thing serve does on its own: listening, reloads, drains, shutdown), at the level
 * of `--log-level` or `WRIT_LOG_LEVEL` (default `info`).
 */
import type { AuthorityLogger } from '@writ/server'
import { usageError } from './cli-error.js'
import { type ParsedInput, stringFlag } from './command.js'
import type { CliIo } from './io.js'
import type { ServerPackage } from './optional-packages.js'

/** The flag that sets the level. */
export const LOG_FLAGS = { 'log-level': { type: 'string' } } as const

/**
 * The logger for one `writ serve`, writing through `io.stdout`.
 *
 * @throws CliError `USAGE` for a level that is not one of fatal, error, warn, info,
 *   debug, trace or silent.
 */
export function serveLogger(
  input: ParsedInput,
  io: CliIo,
  server: Pick<ServerPackage, 'createAuthorityLogger' | 'LOG_LEVELS' | 'parseLogLevel'>,
): AuthorityLogger {
  const { createAuthorityLogger, LOG_LEVELS, parseLogLevel } = server
  const given = stringFlag(input, 'log-level') ?? (io.env ?? process.env)['WRIT_LOG_LEVEL']
  const level = given === undefined || given === '' ? 'info' : parseLogLevel(given)
  if (level === undefined)
    throw usageError(`--log-level must be one of ${LOG_LEVELS.join(', ')} (got "${given}")`)
  return createAuthorityLogger({ level, destination: { write: (line) => io.stdout(line) } })
}
