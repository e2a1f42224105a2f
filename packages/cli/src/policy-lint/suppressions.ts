/**
 * Suppressions: a comment `# writ-lint-ignore WL303: why this is intended` on the line
 * before a rule or limit (or inside it) suppresses those codes for findings in that
 * rule or limit. The reason is required; a suppression without one, or naming a code
 * the linter does not have, is itself an error (WL901). JSON policies cannot carry
 * comments: their findings are fixed, not suppressed.
 */
import type { PolicyDocument } from '@writ/core'
import { LINT_CODES, type LintFinding } from './codes.js'
import type { Locator } from './source-map.js'

const COMMENT = /#\s*writ-lint-ignore\b(.*)$/

interface Suppression {
  readonly line: number
  readonly codes: readonly string[]
  readonly reason: string
  /** The lines of the rule or limit it applies to. */
  readonly from: number
  readonly to: number
}

function itemRanges(document: PolicyDocument, locator: Locator, lines: number) {
  const starts = [
    ...document.rules.map((_, index) => locator.at(['rules', index]).line),
    ...(document.limits ?? []).map((_, index) => locator.at(['limits', index]).line),
  ].sort((a, b) => a - b)
  return starts.map((start, index) => ({ from: start, to: (starts[index + 1] ?? lines + 1) - 1 }))
}

function invalid(locator: Locator, line: number, message: string): LintFinding {
  return {
    code: 'WL901',
    name: 'suppression-invalid',
    severity: 'error',
    message,
    file: locator.file,
    line,
    column: 1,
  }
}

function nextCodeLine(lines: readonly string[], after: number): number {
  for (let index = after; index < lines.length; index++) {
    const trimmed = (lines[index] ?? '').trim()
    if (trimmed !== '' && !trimmed.startsWith('#')) return index + 1
  }
  return lines.length + 1
}

function readSuppressions(text: string, document: PolicyDocument, locator: Locator) {
  const lines = text.split('\n')
  const ranges = itemRanges(document, locator, lines.length)
  const suppressions: Suppression[] = []
  const problems: LintFinding[] = []
  lines.forEach((content, index) => {
    const match = COMMENT.exec(content)
    if (match === null) return
    const line = index + 1
    const [codeText = '', ...reasonParts] = (match[1] ?? '').split(':')
    const codes = codeText.split(/[\s,]+/).filter((code) => code !== '')
    const reason = reasonParts.join(':').trim()
    const unknown = codes.filter((code) => LINT_CODES[code] === undefined || code === 'WL901')
    if (codes.length === 0 || unknown.length > 0 || reason === '') {
      problems.push(
        invalid(
          locator,
          line,
          'a suppression reads `# writ-lint-ignore WL123: why` with known codes and a reason',
        ),
      )
      return
    }
    const target = nextCodeLine(lines, index)
    const range =
      ranges.find((item) => item.from <= line && line <= item.to) ??
      ranges.find((item) => item.from === target)
    if (range === undefined) {
      problems.push(
        invalid(locator, line, 'a suppression must stand just before, or inside, a rule or limit'),
      )
      return
    }
    suppressions.push({ line, codes, reason, ...range })
  })
  return { suppressions, problems }
}

/** Marks the findings a suppression covers (`suppressed`: its reason) and adds invalid suppressions. */
export function applySuppressions(
  text: string,
  _file: string,
  findings: readonly LintFinding[],
  locator: Locator,
  document: PolicyDocument,
): LintFinding[] {
  const { suppressions, problems } = readSuppressions(text, document, locator)
  const marked = findings.map((found) => {
    const by = suppressions.find(
      (item) => item.codes.includes(found.code) && item.from <= found.line && found.line <= item.to,
    )
    return by === undefined ? found : { ...found, suppressed: by.reason }
  })
  return [...marked, ...problems]
}
