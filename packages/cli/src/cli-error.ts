/**
 * Errors of the command line itself, and how every error becomes an exit code and
 * one line on standard error: `writ: <CODE>: <message>`.
 */
import { INPUT_ERROR_CODES, VERIFY_ERROR_CODES, WritError } from '@writ/verify'
import { EXIT_CODES, type ExitCode } from './exit-codes.js'
import type { CliIo } from './io.js'

/** Codes the CLI raises on its own, besides the {@link WritError} codes of the libraries. */
export type CliErrorCode =
  | 'USAGE'
  | 'IO_ERROR'
  | 'CASES_INVALID'
  | 'FILE_UNSAFE'
  | 'INTERNAL'
  | 'CONFIG_INVALID'
  | 'SECRET_ON_COMMAND_LINE'
  | 'ISSUER_REQUIRED'
  | 'PORT_IN_USE'
  | 'ADDRESS_UNAVAILABLE'
  | 'CHAIN_HISTORY_EXISTS'
  | 'DEPENDENCY_MISSING'
  | 'CHAIN_UNKNOWN'
  | 'CHAIN_EMPTY'
  | 'TOOLS_INVALID'

/** An error of the command line: a usage mistake or a file that cannot be read or written. */
export class CliError extends Error {
  /** Stable code, printed on standard error. */
  readonly code: CliErrorCode
  /** Machine-readable context, such as the path that failed. */
  readonly details: Readonly<Record<string, unknown>> | undefined

  constructor(
    code: CliErrorCode,
    message: string,
    options: ErrorOptions & { readonly details?: Readonly<Record<string, unknown>> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'CliError'
    this.code = code
    this.details = options.details
  }
}

/** A usage error: exit code 2. */
export function usageError(message: string): CliError {
  return new CliError('USAGE', message)
}

/** Problems with what the command was given (files, keys, stores, arguments): exit 3. */
const inputCodes: ReadonlySet<string> = new Set<string>([
  ...INPUT_ERROR_CODES,
  'KEY_MISSING',
  'KEY_INVALID',
  'KEYSET_INVALID',
  'STORE_UNAVAILABLE',
  'STORE_FULL',
  'STORE_CONFLICT',
  // A key in a token or KMS that cannot be used: wrong PIN, no such token or key.
  'SIGNER_UNAVAILABLE',
])

/** A verification or policy check that failed: exit 1. */
const failureCodes: ReadonlySet<string> = new Set<string>([
  ...VERIFY_ERROR_CODES.filter((code) => !inputCodes.has(code)),
  'POLICY_INVALID',
  'POLICY_UNSAFE',
  'POLICY_SELF_TEST_FAILED',
])

/** The code printed for an error: its own stable code, or `INTERNAL` for anything unexpected. */
export function errorCodeOf(error: unknown): string {
  if (error instanceof CliError) return error.code
  if (WritError.isInstance(error)) return error.code
  return 'INTERNAL'
}

/**
 * The exit code for an error. Unknown errors are internal (4): they never pass for
 * success, and never for a plain verification failure either.
 */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof CliError) {
    if (
      error.code === 'USAGE' ||
      error.code === 'CONFIG_INVALID' ||
      error.code === 'SECRET_ON_COMMAND_LINE' ||
      error.code === 'ISSUER_REQUIRED'
    )
      return EXIT_CODES.usage
    if (error.code === 'PORT_IN_USE' || error.code === 'ADDRESS_UNAVAILABLE')
      return EXIT_CODES.unavailable
    if (error.code === 'CHAIN_HISTORY_EXISTS') return EXIT_CODES.history
    if (
      error.code === 'IO_ERROR' ||
      error.code === 'CASES_INVALID' ||
      error.code === 'FILE_UNSAFE' ||
      error.code === 'DEPENDENCY_MISSING' ||
      error.code === 'CHAIN_UNKNOWN' ||
      error.code === 'CHAIN_EMPTY' ||
      error.code === 'TOOLS_INVALID'
    )
      return EXIT_CODES.input
    return EXIT_CODES.internal
  }
  if (WritError.isInstance(error)) {
    if (failureCodes.has(error.code)) return EXIT_CODES.failed
    if (inputCodes.has(error.code)) return EXIT_CODES.input
  }
  return EXIT_CODES.internal
}

/** Prints `writ: <CODE>: <message>` (and a hint for usage errors) and returns the exit code. */
export function reportError(io: CliIo, error: unknown, hint?: string): ExitCode {
  const code = errorCodeOf(error)
  const message = error instanceof Error ? error.message : String(error)
  io.stderr(`writ: ${code}: ${message}\n`)
  if (code === 'USAGE' && hint !== undefined) io.stderr(`${hint}\n`)
  if (code === 'INTERNAL')
    io.stderr('writ: this is a bug in Writ; please report it with the command that caused it\n')
  return exitCodeOf(error)
}
