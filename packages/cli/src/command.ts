/**
 * The shape of one `writ` command, and the typed reading of its parsed flags.
 */
import type { ParseArgsConfig } from 'node:util'
import { usageError } from './cli-error.js'
import type { CliIo } from './io.js'

/** The flags of a command, as `node:util` `parseArgs` takes them. */
export type CommandOptions = NonNullable<ParseArgsConfig['options']>

/** The flags and positionals of one invocation, as `parseArgs` returned them. */
export interface ParsedInput {
  readonly values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>
  readonly positionals: readonly string[]
}

/** One command of `writ`: its words, its help, its flags and what it does. */
export interface Command {
  /** The words that name it, e.g. `policy check`. */
  readonly name: string
  /** One line for the command list. */
  readonly summary: string
  /** The full help text: synopsis, flags, output, exit codes. */
  readonly help: string
  /** Its flags (`--help` and `-h` are added for every command). */
  readonly options: CommandOptions
  /** How many positional arguments it takes. */
  readonly positionals: { readonly min: number; readonly max: number; readonly names: string }
  /** Runs the command; resolves with the exit code. Throws for errors, which `run` reports. */
  readonly run: (input: ParsedInput, io: CliIo) => Promise<number>
}

/** The value of a string flag, or `undefined` when it was not given (last one wins). */
export function stringFlag(input: ParsedInput, name: string): string | undefined {
  const value = input.values[name]
  if (Array.isArray(value)) {
    const last = value[value.length - 1]
    return typeof last === 'string' ? last : undefined
  }
  return typeof value === 'string' ? value : undefined
}

/** Every value of a repeatable string flag. */
export function stringFlags(input: ParsedInput, name: string): string[] {
  const value = input.values[name]
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string')
  return typeof value === 'string' ? [value] : []
}

/** The value of a string flag that the command cannot do without; a usage error otherwise. */
export function requiredFlag(input: ParsedInput, name: string): string {
  const value = stringFlag(input, name)
  if (value === undefined || value === '') throw usageError(`missing required flag --${name}`)
  return value
}

/** True when a boolean flag was given. */
export function booleanFlag(input: ParsedInput, name: string): boolean {
  return input.values[name] === true
}

/** Positional argument `index`, which the command's arity guarantees is present. */
export function positional(input: ParsedInput, index: number): string {
  const value = input.positionals[index]
  if (value === undefined) throw usageError('missing argument')
  return value
}

/** A JSON line for `--json` outputs: one object, one line, newline-terminated. */
export function jsonLine(value: unknown): string {
  return `${JSON.stringify(value)}\n`
}
