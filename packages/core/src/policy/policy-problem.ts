import { WritError } from '@writ/verify'

/** One problem found while loading a policy: where it is and what is wrong. */
export interface PolicyProblem {
  /** Location in the document, e.g. `rules[2].when`; empty for the document itself. */
  readonly path: string
  /** What is wrong, for people. */
  readonly message: string
  /** The id of the rule or limit the problem is in, when known. */
  readonly ruleId?: string
  /** 1-based line in the source text, when known. */
  readonly line?: number
  /** 1-based column in the source text, when known. */
  readonly column?: number
}

/** The code of a policy loading failure: bad document (`POLICY_INVALID`) or unsafe condition (`POLICY_UNSAFE`). */
export type PolicyErrorCode = 'POLICY_INVALID' | 'POLICY_UNSAFE'

/** Formats a path of keys and indices as `rules[2].when`. */
export function formatPath(segments: readonly PropertyKey[]): string {
  let text = ''
  for (const segment of segments) {
    if (typeof segment === 'number') text += `[${segment}]`
    else text += text === '' ? String(segment) : `.${String(segment)}`
  }
  return text
}

/**
 * Builds the `WritError` thrown for a policy that cannot be loaded. The first problem's
 * `source`, `path`, `ruleId`, `line` and `column` are copied to the top of `details`;
 * `details.problems` lists every problem found.
 */
export function policyError(
  code: PolicyErrorCode,
  source: string | undefined,
  problems: readonly PolicyProblem[],
): WritError {
  const first = problems[0] ?? { path: '', message: 'invalid policy' }
  const where = `${source ?? '<policy>'}${first.line === undefined ? '' : `:${first.line}:${first.column ?? 1}`}`
  const more =
    problems.length > 1
      ? ` (and ${problems.length - 1} more problem${problems.length > 2 ? 's' : ''})`
      : ''
  const details: Record<string, unknown> = {
    source: source ?? null,
    path: first.path,
    ruleId: first.ruleId ?? null,
    problems,
  }
  if (first.line !== undefined) details['line'] = first.line
  if (first.column !== undefined) details['column'] = first.column
  return new WritError(
    code,
    `${where}: ${first.path === '' ? '' : `${first.path}: `}${first.message}${more}`,
    { details },
  )
}
