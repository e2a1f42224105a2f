/**
 * The inputs shared by commands that decide: the policy file, the context, the
 * request built from flags.
 */
import { type CompiledPolicy, compilePolicy } from '@writ/core'
import { type JsonObject, WritError } from '@writ/verify'
import { parseJson } from '@writ/verify/internal'
import { usageError } from './cli-error.js'
import { type ParsedInput, requiredFlag, stringFlag } from './command.js'
import { readJsonArgument, readTextFile } from './files.js'
import type { CliIo } from './io.js'

/**
 * Reads and compiles a policy file (`.json` as JSON, anything else as YAML 1.2):
 * `IO_ERROR` when it cannot be read, `POLICY_INVALID` or `POLICY_UNSAFE` when it is
 * wrong, located against the path as the user wrote it.
 */
export function loadPolicy(io: CliIo, path: string): CompiledPolicy {
  return compilePolicy(readTextFile(io, path, 'policy file'), { source: path })
}

/** Parses `--context JSON|@FILE` strictly (I-JSON, an object), or `undefined` when absent. */
export function contextFlag(io: CliIo, input: ParsedInput): JsonObject | undefined {
  const value = stringFlag(input, 'context')
  if (value === undefined) return undefined
  const parsed = parseJson(readJsonArgument(io, value, '--context'))
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new WritError('INPUT_NOT_OBJECT', '--context must be a JSON object')
  }
  return parsed
}

/** The request flags every deciding command shares: `--action`, `--args`, `--agent`, `--context`. */
export interface RequestFlags {
  readonly action: string
  /** The raw JSON text of the arguments, so that the gate sees duplicate keys. */
  readonly args: string
  readonly agent?: string
  readonly context?: JsonObject
}

/** Reads {@link RequestFlags}; `--args` is required (`{}` for an action without arguments). */
export function requestFlags(io: CliIo, input: ParsedInput): RequestFlags {
  const action = requiredFlag(input, 'action')
  const argsValue = stringFlag(input, 'args')
  if (argsValue === undefined)
    throw usageError('missing required flag --args (use --args {} for none)')
  const args = readJsonArgument(io, argsValue, '--args')
  const agent = stringFlag(input, 'agent')
  const context = contextFlag(io, input)
  return {
    action,
    args,
    ...(agent === undefined ? {} : { agent }),
    ...(context === undefined ? {} : { context }),
  }
}
