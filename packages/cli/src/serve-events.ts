/**
 * Where `writ serve` reports what it does on its own (key ring reloads, refused
 * reloads, drains, unanswered decisions, checkpoints): a logger with pino's call shape,
 * `log.warn({ event, ...fields }, message)`.
 */
import type { CliIo } from './io.js'

/** The part of a pino logger `writ serve` uses for its operational events. */
export interface EventLog {
  info(fields: Record<string, unknown>, message: string): void
  warn(fields: Record<string, unknown>, message: string): void
  error(fields: Record<string, unknown>, message: string): void
}

/**
 * One JSON object a line on standard error (`level`, `time`, `event`, the fields,
 * `msg`): used until a structured logger is passed in.
 */
export function stderrEventLog(io: CliIo): EventLog {
  const write = (level: string) => (fields: Record<string, unknown>, message: string) => {
    io.stderr(
      `${JSON.stringify({ level, time: new Date().toISOString(), ...fields, msg: message })}\n`,
    )
  }
  return { info: write('info'), warn: write('warn'), error: write('error') }
}
