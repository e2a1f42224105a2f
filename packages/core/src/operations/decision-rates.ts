/**
 * Drift: decision rates before and after a policy change, read from a store's receipts.
 * A group (a rule or an action) is flagged when the share of decisions that are PERMITs
 * by it moved by more than a threshold.
 */
import type { ReceiptClaims } from '@writ/verify'

/** Options of {@link decisionRates}. */
export interface DecisionRateOptions {
  /** The policy digest whose adoption splits before from after; the newest one by default. */
  readonly around?: string
  /** Group by the deciding rule (default) or by action. */
  readonly by?: 'rule' | 'action'
  /** Flag a group whose PERMIT rate moved by more than this (0 to 1); 0.1 by default. */
  readonly threshold?: number
}

/** One group's PERMIT rate before and after. */
export interface DecisionRateRow {
  /** The rule id (`(none)` for decisions no rule made) or the action name. */
  readonly group: string
  readonly before: { readonly decisions: number; readonly permits: number; readonly rate: number }
  readonly after: { readonly decisions: number; readonly permits: number; readonly rate: number }
  /** `after.rate - before.rate`. */
  readonly change: number
  readonly flagged: boolean
}

/** Decision rates around one policy change. */
export interface DecisionRates {
  /** The digest that splits the history; `undefined` when the store holds no receipt. */
  readonly around: string | undefined
  /** Time of the first decision under `around`. */
  readonly since: number | undefined
  readonly threshold: number
  readonly totals: {
    readonly before: Readonly<Record<'PERMIT' | 'DENY' | 'SILENCE', number>>
    readonly after: Readonly<Record<'PERMIT' | 'DENY' | 'SILENCE', number>>
  }
  readonly rows: readonly DecisionRateRow[]
}

type Side = {
  decisions: number
  byGroup: Map<string, number>
  totals: Record<'PERMIT' | 'DENY' | 'SILENCE', number>
}

function emptySide(): Side {
  return { decisions: 0, byGroup: new Map(), totals: { PERMIT: 0, DENY: 0, SILENCE: 0 } }
}

/**
 * Splits `decisions` (in decision order) at the first decision under `around` and
 * compares, per group, the share of decisions that were PERMITs by that group: the
 * rate is a group's PERMITs over all decisions on that side, so a rule that stops
 * permitting shows as a drop even when nothing else changed.
 */
export function decisionRates(
  decisions: readonly ReceiptClaims[],
  options: DecisionRateOptions = {},
): DecisionRates {
  const threshold = options.threshold ?? 0.1
  const around = options.around ?? decisions[decisions.length - 1]?.policy.digest
  const start = decisions.findIndex((claims) => claims.policy.digest === around)
  const since = start < 0 ? undefined : decisions[start]?.iat
  const sides = { before: emptySide(), after: emptySide() }
  const groupOf = (claims: ReceiptClaims) =>
    options.by === 'action' ? claims.act.name : (claims.rule ?? '(none)')
  const groups = new Set<string>()
  decisions.forEach((claims, index) => {
    const side = start >= 0 && index >= start ? sides.after : sides.before
    const group = groupOf(claims)
    groups.add(group)
    side.decisions++
    side.totals[claims.decision]++
    if (claims.decision === 'PERMIT') side.byGroup.set(group, (side.byGroup.get(group) ?? 0) + 1)
  })
  const rateOf = (side: Side, group: string) => {
    const permits = side.byGroup.get(group) ?? 0
    return {
      decisions: side.decisions,
      permits,
      rate: side.decisions === 0 ? 0 : permits / side.decisions,
    }
  }
  const rows = [...groups].sort().map((group) => {
    const before = rateOf(sides.before, group)
    const after = rateOf(sides.after, group)
    const change = after.rate - before.rate
    const compared = before.decisions > 0 && after.decisions > 0
    return { group, before, after, change, flagged: compared && Math.abs(change) > threshold }
  })
  return {
    around,
    since,
    threshold,
    totals: { before: { ...sides.before.totals }, after: { ...sides.after.totals } },
    rows,
  }
}
