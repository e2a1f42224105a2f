/**
 * A hold as the approvals page shows it: the gate's hold view, plus what a reviewer needs
 * to judge it without reading the policy: the held rule's condition and description, and
 * each limit that applies to the action with what this call would add to it.
 */
import type { CompiledPolicy, HoldView } from '@writ/core'

/** One limit that applies to the held action. */
export interface LimitPresentation {
  /** The limit's id in the policy. */
  readonly id: string
  /** The limit's description in the policy, when it has one. */
  readonly description: string | null
  /** What the limit counts: `sum` (an expression over the arguments) or `count`. */
  readonly measure: 'sum' | 'count'
  /** The most the window may hold. */
  readonly max: number
  /** The rolling window, as written in the policy (`24h`). */
  readonly window: string
  /** Per agent, per session or for everyone. */
  readonly per: 'agent' | 'session' | 'global'
  /** What this call would add, when the policy could compute it. */
  readonly amount: number | null
}

/** What the approvals page receives for one hold. */
export interface HoldPresentation extends HoldView {
  /** Seconds until the hold closes (0 once closed). */
  readonly secondsLeft: number
  /** The held rule's condition (CEL), when it has one. */
  readonly condition: string | null
  /** The limits that apply to the action, with what this call would add to each. */
  readonly limits: readonly LimitPresentation[]
  /** The signed-in approver's own answer, if any. */
  readonly yourAnswer: 'approve' | 'reject' | null
}

/** Builds the page's view of `hold` for `approver` at `now` (seconds). */
export function presentHold(
  hold: HoldView,
  policy: CompiledPolicy,
  approver: string,
  now: number,
): HoldPresentation {
  const rule = policy.document.rules.find((entry) => entry.id === hold.rule)
  return Object.freeze({
    ...hold,
    secondsLeft: Math.max(0, hold.exp - now),
    condition: rule?.when ?? null,
    limits: limitsOf(hold, policy, now),
    yourAnswer: hold.approvals.find((approval) => approval.by === approver)?.verdict ?? null,
  })
}

function limitsOf(hold: HoldView, policy: CompiledPolicy, now: number): LimitPresentation[] {
  let explained: ReturnType<CompiledPolicy['explain']>['limits']
  try {
    explained = policy.explain({
      action: hold.action,
      args: hold.args,
      agent: hold.agent,
      context: {},
      now,
      audience: hold.audience,
    }).limits
  } catch {
    return []
  }
  const presented: LimitPresentation[] = []
  for (const limit of policy.document.limits ?? []) {
    const explanation = explained.find((entry) => entry.id === limit.id)
    if (explanation === undefined || !explanation.applies || explanation.holds === false) continue
    presented.push({
      id: limit.id,
      description: limit.description ?? null,
      measure: limit.count === true ? 'count' : 'sum',
      max: limit.max,
      window: limit.window,
      per: limit.per,
      amount: explanation.amount,
    })
  }
  return presented
}
