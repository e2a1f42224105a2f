/**
 * The terminal runner's report: a colored line per step, a summary, or JSON.
 */
import type { ScenarioResult } from './demo-types.js'

/** One scenario as `run.js --json` prints it. */
export interface TerminalResult {
  readonly id: string
  readonly passed: boolean
  readonly outcome: ScenarioResult['outcome']
  readonly steps: readonly {
    readonly action: string
    readonly decision: string | null
    readonly rule: string | null
    readonly reason: string | null
    readonly receiptId: string | null
    readonly serviceStatus: number | null
    readonly serviceCode: string | null
    readonly executed: boolean
  }[]
}

/** The JSON form of the results. */
export function terminalResults(results: readonly ScenarioResult[]): TerminalResult[] {
  return results.map((result) => ({
    id: result.id,
    passed: result.passed,
    outcome: result.outcome,
    steps: result.steps.map((step) => ({
      action: step.action,
      decision: step.decision,
      rule: step.rule,
      reason: step.reason,
      receiptId: step.receiptId,
      serviceStatus: step.service?.status ?? null,
      serviceCode: step.service?.code ?? null,
      executed: step.service?.executed ?? false,
    })),
  }))
}

const colors = {
  PERMIT: '\u001b[32m',
  DENY: '\u001b[31m',
  SILENCE: '\u001b[33m',
  dim: '\u001b[2m',
  bold: '\u001b[1m',
  reset: '\u001b[0m',
} as const

/** The human-readable report; `color` false gives plain text. */
export function formatResults(results: readonly ScenarioResult[], color: boolean): string {
  const paint = (code: string, text: string) => (color ? `${code}${text}${colors.reset}` : text)
  const lines: string[] = []
  for (const result of results) {
    const mark = result.passed ? paint(colors.PERMIT, '✔') : paint(colors.DENY, '✘')
    lines.push(`${mark} ${paint(colors.bold, result.id)}  ${result.title}`)
    for (const step of result.steps) {
      const decision =
        step.decision === null
          ? paint(colors.dim, 'NO GATE')
          : paint(colors[step.decision], step.decision.padEnd(7))
      const why = step.reason === null ? '' : ` ${step.reason}`
      const rule = step.rule === null ? '' : paint(colors.dim, ` (rule ${step.rule})`)
      const service =
        step.service === null
          ? paint(colors.dim, ' → not sent')
          : step.service.executed
            ? ` → ${step.service.service} executed (${step.service.status})`
            : ` → ${step.service.service} refused ${paint(colors.DENY, step.service.code ?? '')} (${step.service.status})`
      lines.push(`    ${decision}${why}${rule}  ${step.action}${service}`)
    }
    if (result.error !== null) lines.push(`    ${paint(colors.DENY, `error: ${result.error}`)}`)
  }
  const passed = results.filter((result) => result.passed).length
  lines.push('')
  lines.push(
    paint(
      passed === results.length ? colors.PERMIT : colors.DENY,
      `${passed}/${results.length} scenarios had the expected outcome.`,
    ),
  )
  return `${lines.join('\n')}\n`
}
