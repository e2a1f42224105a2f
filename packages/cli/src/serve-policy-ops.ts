/**
 * The policy-operations flags of `writ serve`: a shadow candidate policy (`--shadow`),
 * and argument retention for replay (`--retain`, `--redact`), off unless asked.
 */
import type { CompiledPolicy, RetentionRule } from '@writ/core'
import { usageError } from './cli-error.js'
import { type ParsedInput, stringFlag, stringFlags } from './command.js'
import { loadPolicy } from './inputs.js'
import type { CliIo } from './io.js'

/** The flags, for `writ serve`'s options. */
export const POLICY_OPS_FLAGS = {
  shadow: { type: 'string' },
  retain: { type: 'string', multiple: true },
  redact: { type: 'string', multiple: true },
} as const

/** What the flags asked for. */
export interface ServePolicyOps {
  readonly shadow?: CompiledPolicy
  readonly retention?: readonly RetentionRule[]
}

/**
 * Reads `--shadow FILE` (through `trusted`, like the enforcing policy), `--retain GLOB`
 * (repeatable) and `--redact PATH` (repeatable, applied to every retained action).
 *
 * @throws CliError `USAGE` for `--redact` without `--retain`.
 */
export function loadPolicyOps(
  input: ParsedInput,
  io: CliIo,
  trusted: (path: string) => string,
): ServePolicyOps {
  const shadowPath = stringFlag(input, 'shadow')
  const retain = stringFlags(input, 'retain')
  const redact = stringFlags(input, 'redact')
  if (redact.length > 0 && retain.length === 0)
    throw usageError('--redact applies to retained arguments: give --retain GLOB too')
  return {
    ...(shadowPath === undefined ? {} : { shadow: loadPolicy(io, trusted(shadowPath)) }),
    ...(retain.length === 0 ? {} : { retention: [{ actions: retain, redact }] }),
  }
}
