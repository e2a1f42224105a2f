import type { CompiledPolicy } from '@writ/core'
import { matchesAction } from '@writ/core/internal'

/**
 * A `visible` predicate for {@link McpGateOptions}: `true` for an action some `permit`
 * or `approve` rule of `policy` applies to, unless a `deny` rule without a condition
 * applies to it too. A tool it returns `false` for could never run, so the model need
 * not see it. Hiding is a courtesy to the model, not the control: a hidden tool that is
 * called anyway is still decided by the gate.
 */
export function permittableBy(policy: CompiledPolicy): (action: string) => boolean {
  const rules = policy.document.rules
  const applies = (patterns: readonly string[], action: string) =>
    patterns.some((pattern) => matchesAction(pattern, action))
  return (action) =>
    rules.some((rule) => rule.effect !== 'deny' && applies(rule.actions, action)) &&
    !rules.some(
      (rule) => rule.effect === 'deny' && rule.when === undefined && applies(rule.actions, action),
    )
}
