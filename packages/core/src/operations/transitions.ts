/**
 * Decision changes summarised as transitions (old → new decision, by rule), with example
 * request ids: the table `writ shadow report` and `writ policy replay` print.
 */
import type { DecisionKind } from '@writ/verify'
import type { ShadowDisagreement } from './records.js'

/** How many example request ids a transition keeps. */
export const TRANSITION_EXAMPLES = 3

/** Requests that went from one answer to another. */
export interface DecisionTransition {
  readonly from: DecisionKind
  readonly fromRule: string | null
  readonly to: DecisionKind
  readonly toRule: string | null
  readonly count: number
  /** Up to {@link TRANSITION_EXAMPLES} request ids, in the order seen. */
  readonly examples: readonly string[]
}

/** Groups changes by old → new decision and rule; most frequent first, then by name. */
export function summarizeTransitions(
  changes: Iterable<Pick<ShadowDisagreement, 'request' | 'enforcing' | 'candidate'>>,
): DecisionTransition[] {
  const groups = new Map<
    string,
    { -readonly [K in keyof DecisionTransition]: DecisionTransition[K] }
  >()
  for (const change of changes) {
    const { enforcing, candidate } = change
    const key = JSON.stringify([
      enforcing.decision,
      enforcing.rule,
      candidate.decision,
      candidate.rule,
    ])
    let group = groups.get(key)
    if (group === undefined) {
      group = {
        from: enforcing.decision,
        fromRule: enforcing.rule,
        to: candidate.decision,
        toRule: candidate.rule,
        count: 0,
        examples: [],
      }
      groups.set(key, group)
    }
    group.count++
    if (group.examples.length < TRANSITION_EXAMPLES) {
      group.examples = [...group.examples, change.request]
    }
  }
  return [...groups.entries()]
    .sort(
      ([leftKey, left], [rightKey, right]) =>
        right.count - left.count || (leftKey < rightKey ? -1 : 1),
    )
    .map(([, group]) => Object.freeze(group))
}

/** The disagreements a store recorded, summarised (the data of `writ shadow report`). */
export interface ShadowReport {
  readonly disagreements: number
  /** The candidate digests the disagreements name. */
  readonly candidates: readonly string[]
  readonly transitions: readonly DecisionTransition[]
}

/** Reads every disagreement from `records` (within the range) and summarises them. */
export async function shadowReport(
  source: AsyncIterable<ShadowDisagreement>,
): Promise<ShadowReport> {
  const all: ShadowDisagreement[] = []
  for await (const record of source) all.push(record)
  return {
    disagreements: all.length,
    candidates: [...new Set(all.map((record) => record.candidate.digest))].sort(),
    transitions: summarizeTransitions(all),
  }
}
