/**
 * The approvals fixture of `@writ/core/testing` (transfers above 1000 are held for a
 * finance approver, spec section 11) behind a gate that records every decision, for the
 * adapter tests of `@writ/ai-sdk` and `@writ/openai-agents`: they check how an adapter
 * maps a real hold onto its framework's approval flow.
 */
import { type Decision, type Gate, guardAction, wrapAction } from '@writ/core'
import { createApprovalsFixture } from '@writ/core/testing'

/** A recording gate over the approvals fixture; `approve()` has `alice` approve the first hold. */
export function holdingGate() {
  const fixture = createApprovalsFixture()
  const decisions: Decision[] = []
  const gate: Gate & { decisions: Decision[]; approve(): Promise<void> } = {
    decisions,
    async approve() {
      const held = decisions.find((decision) => decision.reason === 'APPROVAL_REQUIRED')
      if (held === undefined) throw new Error('no hold to approve')
      await fixture.gate.holds.submit(fixture.approve(held.receipt, 'alice'))
    },
    async authorize(request) {
      const decision = await fixture.gate.authorize(request)
      decisions.push(decision)
      return decision
    },
    guard: (request, execute) => guardAction(gate, request, execute),
    wrap: (name, fn, options) => wrapAction(gate, name, fn, options),
    keys: () => fixture.gate.keys(),
  }
  return gate
}
