/**
 * The problems of an invalid policy, each with a location a person can go to:
 * `file:line:column: rule <id>: <path>`.
 */
import type { WritError } from '@writ/verify'

/** One located problem of a policy. */
export interface LocatedProblem {
  /** `file[:line[:column]][: rule <id>][: <path>]`. */
  readonly location: string
  readonly message: string
  readonly file: string
  readonly path: string
  readonly rule?: string
  readonly line?: number
  readonly column?: number
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}
}

/**
 * Reads `details.problems` of a policy error (as `@writ/core` reports them: `path`,
 * `message`, `ruleId?`, `line?`, `column?`). Falls back to the error's own message
 * when the details carry none.
 */
export function policyProblems(error: WritError, file: string): LocatedProblem[] {
  const details = record(error.details)
  const listed = Array.isArray(details['problems']) ? (details['problems'] as unknown[]) : []
  const problems = listed.length > 0 ? listed.map(record) : [{ ...details, message: error.message }]
  return problems.map((problem) => located(problem, file, error.message))
}

/**
 * The warnings of a valid policy (`CompiledPolicy.warnings`: patterns whose cost may grow
 * faster than their arguments), located like problems.
 */
export function policyWarnings(warnings: readonly unknown[], file: string): LocatedProblem[] {
  return warnings.map((warning) => located(record(warning), file, 'warning'))
}

function located(problem: Record<string, unknown>, file: string, fallback: string): LocatedProblem {
  const path = typeof problem['path'] === 'string' ? problem['path'] : ''
  const rule = typeof problem['ruleId'] === 'string' ? problem['ruleId'] : undefined
  const line = typeof problem['line'] === 'number' ? problem['line'] : undefined
  const column = typeof problem['column'] === 'number' ? problem['column'] : undefined
  const message = typeof problem['message'] === 'string' ? problem['message'] : fallback
  let location = file
  if (line !== undefined) location += `:${line}${column === undefined ? '' : `:${column}`}`
  if (rule !== undefined) location += `: rule ${rule}`
  if (path !== '') location += `: ${path}`
  return {
    location,
    message,
    file,
    path,
    ...(rule === undefined ? {} : { rule }),
    ...(line === undefined ? {} : { line }),
    ...(column === undefined ? {} : { column }),
  }
}
