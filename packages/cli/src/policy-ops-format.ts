/**
 * Text output of the policy-operations commands: the transition table that
 * `writ shadow report` and `writ policy replay` print, the drift table of `writ stats`,
 * and the time flags they share.
 */
import type { DecisionRates, DecisionTransition } from '@writ/core'
import { usageError } from './cli-error.js'
import { type ParsedInput, stringFlag } from './command.js'

/** `--since` / `--until`: an ISO 8601 date, or seconds since the epoch. */
export function timeFlag(input: ParsedInput, name: string): number | undefined {
  const value = stringFlag(input, name)
  if (value === undefined) return undefined
  if (/^\d{1,12}$/.test(value)) return Number(value)
  const millis = Date.parse(value)
  if (Number.isNaN(millis)) {
    throw usageError(`--${name} takes an ISO 8601 date or seconds since the epoch`)
  }
  return Math.floor(millis / 1000)
}

const side = (decision: string, rule: string | null) => `${decision} ${rule ?? '(no rule)'}`

/** The transitions as a table: FROM → TO, COUNT, EXAMPLES (request ids). */
export function transitionTable(transitions: readonly DecisionTransition[]): string {
  if (transitions.length === 0) return 'no decision changed\n'
  const rows = transitions.map((transition) => [
    side(transition.from, transition.fromRule),
    side(transition.to, transition.toRule),
    String(transition.count),
    transition.examples.join(', '),
  ])
  const header = ['FROM', 'TO', 'COUNT', 'EXAMPLES (request ids)']
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] as string).length)),
  )
  const line = (cells: readonly string[]) =>
    `${cells.map((cell, column) => (column === 3 ? cell : cell.padEnd(widths[column] as number))).join('  ')}\n`
  return [line(header), ...rows.map(line)].join('')
}

const percent = (rate: number) => `${(rate * 100).toFixed(1)}%`

/** The drift table of `writ stats`. */
export function ratesTable(rates: DecisionRates): string {
  const { before, after } = rates.totals
  const since =
    rates.since === undefined ? '' : ` (since ${new Date(rates.since * 1000).toISOString()})`
  const lines = [
    `policy ${rates.around ?? '(no decisions)'}${since}`,
    `before: PERMIT ${before.PERMIT}, DENY ${before.DENY}, SILENCE ${before.SILENCE}`,
    `after:  PERMIT ${after.PERMIT}, DENY ${after.DENY}, SILENCE ${after.SILENCE}`,
    '',
  ]
  const width = Math.max(5, ...rates.rows.map((row) => row.group.length))
  lines.push(`${'GROUP'.padEnd(width)}  PERMIT BEFORE  PERMIT AFTER  CHANGE`)
  for (const row of rates.rows) {
    const change = `${row.change >= 0 ? '+' : ''}${(row.change * 100).toFixed(1)} pts`
    const flag = row.flagged ? `  MOVED MORE THAN ${percent(rates.threshold)}` : ''
    lines.push(
      `${row.group.padEnd(width)}  ${percent(row.before.rate).padStart(13)}  ${percent(row.after.rate).padStart(12)}  ${change}${flag}`,
    )
  }
  return `${lines.join('\n')}\n`
}
