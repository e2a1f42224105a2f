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

/** The synopsis of a command: its help up to the first blank line. */
export function synopsisOf(command: Command): string {
  return command.help.split('\n\n')[0] ?? command.help
}

/**
 * The help of a command group, such as `writ help keys`: every command whose name
 * starts with the group's words, with its summary and synopsis. `undefined` when no
 * command is in that group.
 */
export function groupHelp(
  words: readonly string[],
  commands: readonly Command[],
): string | undefined {
  const prefix = `${words.join(' ')} `
  const members = commands.filter((command) => command.name.startsWith(prefix))
  if (members.length === 0) return undefined
  const sections = members.map(
    (command) => `writ ${command.name}: ${command.summary}\n${synopsisOf(command)}`,
  )
  return `Commands of writ ${words.join(' ')}:

${sections.join('\n\n')}

Run 'writ help ${members[0]?.name}' (or add --help) for a command's flags.

${EXIT_CODE_HELP}
`
}
