/** The linter's finding codes, their names and severities, and the shape of a finding. */

/** How serious a finding is: errors fail the lint (exit 1), warnings do not. */
export type Severity = 'error' | 'warning'

/** Every code the linter reports, with its name and severity. */
export const LINT_CODES: Readonly<Record<string, { name: string; severity: Severity }>> = {
  WL001: { name: 'policy-invalid', severity: 'error' },
  WL002: { name: 'self-test-failed', severity: 'error' },
  WL101: { name: 'unknown-field', severity: 'error' },
  WL102: { name: 'type-mismatch', severity: 'error' },
  WL103: { name: 'optional-without-has', severity: 'warning' },
  WL201: { name: 'amount-without-lower-bound', severity: 'error' },
  WL301: { name: 'no-such-tool', severity: 'error' },
  WL302: { name: 'shadowed-by-deny', severity: 'error' },
  WL303: { name: 'permit-everything', severity: 'error' },
  WL401: { name: 'unused-limit', severity: 'warning' },
  WL901: { name: 'suppression-invalid', severity: 'error' },
}

/** One finding of the linter. */
export interface LintFinding {
  readonly code: string
  readonly name: string
  readonly severity: Severity
  readonly message: string
  readonly file: string
  readonly line: number
  readonly column: number
  /** The rule or limit it is about, when it is about one. */
  readonly rule?: string
  /** Set when a `writ-lint-ignore` comment suppressed it, with the comment's reason. */
  readonly suppressed?: string
}
