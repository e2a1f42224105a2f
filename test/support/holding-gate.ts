/**
 * A stand-in for the approvals of `@writ/core` in adapter tests (`@writ/ai-sdk`,
 * `@writ/openai-agents`): what those tests check is how an adapter maps a hold onto its
 * framework's approval flow, not how holds are decided.
 */
import {
  type ActionRequest,
  compilePolicy,
  type Decision,
  type Gate,
  guardAction,
  wrapAction,
} from '@writ/core'
import { createPaymentsGate } from '@writ/core/testing'

/**
 * A gate that holds transfers over 1000 for approval the way spec section 11 describes
 * (SILENCE, reason `APPROVAL_REQUIRED`, a `hold` claim), until `approve()` is called;
 * then such a transfer is decided by a real gate whose policy permits it. Everything
 * else is decided by the payments fixture's real gate. `decisions` records each answer.
 */
export function holdingGate() {
  const inner = createPaymentsGate()
  const afterApproval = createPaymentsGate({
    policy: compilePolicy(
      'writ: 1\nid: approved\nrules:\n  - id: approved-transfers\n    effect: permit\n    actions: [payments.transfer]\n',
      { source: 'approved.yaml' },
    ),
  })
  let approved = false
  const decisions: Decision[] = []
  const gate: Gate & { decisions: Decision[]; approve(): void } = {
    decisions,
    approve: () => {
      approved = true
    },
    async authorize(request) {
      const decision = await decideHolding(inner, afterApproval, approved, request)
      decisions.push(decision)
      return decision
    },
    guard: (request, execute) => guardAction(gate, request, execute),
    wrap: (name, fn, options) => wrapAction(gate, name, fn, options),
    keys: () => inner.keys(),
  }
  return gate
}

async function decideHolding(
  inner: Gate,
  afterApproval: Gate,
  approved: boolean,
  request: ActionRequest,
): Promise<Decision> {
  const decision = await inner.authorize(request)
  if (decision.decision !== 'SILENCE' || decision.reason !== 'CONDITION_FALSE') return decision
  if (approved) return afterApproval.authorize(request)
  const hold = { approvers: 'finance', quorum: 1, exp: decision.claims.iat + 900 }
  return {
    ...decision,
    reason: 'APPROVAL_REQUIRED',
    rule: 'large-transfers',
    claims: { ...decision.claims, reason: 'APPROVAL_REQUIRED', rule: 'large-transfers', hold },
  } as Decision
}
