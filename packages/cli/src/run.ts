/**
 * The entry point of `writ`: parses the command line, runs one command and turns
 * every outcome into an exit code. Never throws.
 */
import { parseArgs } from 'node:util'
import { reportError, usageError } from './cli-error.js'
import type { Command, ParsedInput } from './command.js'
import { COMMANDS } from './commands/index.js'
import { EXIT_CODES } from './exit-codes.js'
import { EXIT_CODE_HELP, groupHelp, overview } from './help.js'
import { type CliIo, processIo } from './io.js'
import { cliVersion } from './version.js'

function findCommand(words: readonly string[]): { command: Command; rest: string[] } | undefined {
  for (const command of COMMANDS) {
    const name = command.name.split(' ')
    if (name.every((word, index) => words[index] === word))
      return { command, rest: words.slice(name.length) }
  }
  return undefined
}

function helpOf(command: Command): string {
  return `${command.help}\n\n${EXIT_CODE_HELP}\n`
}

function runHelp(words: readonly string[], io: CliIo): number {
  if (words.length === 0) {
    io.stdout(overview(COMMANDS))
    return EXIT_CODES.ok
  }
  const found = findCommand(words)
  if (found === undefined || found.rest.length > 0) {
    const group = groupHelp(words, COMMANDS)
    if (group !== undefined) {
      io.stdout(group)
      return EXIT_CODES.ok
    }
    throw usageError(`no command "${words.join(' ')}"; run 'writ help' for the list`)
  }
  io.stdout(helpOf(found.command))
  return EXIT_CODES.ok
}

function parse(command: Command, argv: readonly string[]): ParsedInput | 'help' {
  let parsed: ParsedInput
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { ...command.options, help: { type: 'boolean', short: 'h' } },
      allowPositionals: true,
      strict: true,
    })
  } catch (cause) {
    throw usageError(cause instanceof Error ? cause.message : String(cause))
  }
  if (parsed.values['help'] === true) return 'help'
  const count = parsed.positionals.length
  const { min, max, names } = command.positionals
  if (count < min) throw usageError(`writ ${command.name} needs ${names}`)
  if (count > max) {
    throw usageError(
      `writ ${command.name} takes ${max === 0 ? 'no arguments' : names}; unexpected "${parsed.positionals[max]}"`,
    )
  }
  return parsed
}

/**
 * Runs `writ` with the given arguments (without `node` and the script name) and
 * resolves with the exit code. Output goes to `io`; nothing is thrown: every error
 * becomes `writ: <CODE>: <message>` on standard error and an exit code
 * (0 ok, 1 verification or policy failure, 2 usage, 3 input or IO, 4 internal).
 *
 * @example
 * ```ts
 * const code = await run(['verify', '--keys', 'keys.json', 'receipt.jwt'])
 * ```
 */
export async function run(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  let hint: string | undefined = "run 'writ help' for usage"
  try {
    const [first, ...rest] = argv
    if (first === undefined) {
      io.stderr(overview(COMMANDS))
      return EXIT_CODES.usage
    }
    if (first === '--version' || first === '-v' || first === 'version') {
      io.stdout(`${cliVersion()}\n`)
      return EXIT_CODES.ok
    }
    if (first === 'help' || first === '--help' || first === '-h') return runHelp(rest, io)
    const found = findCommand(argv)
    if (found === undefined) {
      const group = COMMANDS.filter((command) => command.name.startsWith(`${first} `))
      if (group.length > 0) {
        const names = group.map((command) => command.name).join(', ')
        throw usageError(
          `"writ ${argv.slice(0, 2).join(' ')}" is not a command; try one of: ${names}`,
        )
      }
      throw usageError(`unknown command "${first}"`)
    }
    hint = `run 'writ help ${found.command.name}' for usage`
    const input = parse(found.command, found.rest)
    if (input === 'help') {
      io.stdout(helpOf(found.command))
      return EXIT_CODES.ok
    }
    return await found.command.run(input, io)
  } catch (error) {
    return reportError(io, error, hint)
  }
}
