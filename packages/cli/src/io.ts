/**
 * Where a command reads and writes. `run` takes one, so every command runs
 * in-process with captured output, the same as from a terminal.
 */

/** The console and environment of one `writ` invocation. */
export interface CliIo {
  /** Writes to standard output (results: tokens, JSON, reports). */
  readonly stdout: (text: string) => void
  /** Writes to standard error (notes, warnings, errors). */
  readonly stderr: (text: string) => void
  /** Directory against which relative paths are resolved. */
  readonly cwd: string
  /** Environment variables (`writ serve` reads `WRIT_*`); `process.env` when absent. */
  readonly env?: Readonly<Record<string, string | undefined>>
}

/** The process's own console and working directory. */
export function processIo(): CliIo {
  return {
    stdout: (text) => {
      process.stdout.write(text)
    },
    stderr: (text) => {
      process.stderr.write(text)
    },
    cwd: process.cwd(),
  }
}
