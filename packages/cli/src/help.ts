/**
 * The general help text of `writ`.
 */
import type { Command } from './command.js'

/** Exit codes, as `writ help` prints them. */
export const EXIT_CODE_HELP = `Exit codes:
  0  ok (a receipt was issued, whatever its decision; a token or chain verified)
  1  verification failed, policy test failed, or policy invalid
  2  usage error
  3  input or IO error (missing file, bad key, unreadable store)
  4  internal error
Errors are printed on stderr as: writ: <CODE>: <message>`

/** The overview printed by `writ help` and `writ --help`. */
export function overview(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((command) => command.name.length))
  const list = commands
    .map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`)
    .join('\n')
  return `Usage: writ <command> [flags]

Writ decides every action an agent proposes (PERMIT, DENY or SILENCE), signs each
decision into a receipt, and verifies receipts with the public key alone.

Commands:
${list}
  ${'help [command]'.padEnd(width)}  show this help, or a command's
  ${'--version'.padEnd(width)}  print the version

${EXIT_CODE_HELP}
`
}
