/**
 * The last step of deciding: the answer `authorize` resolves with, read from what the
 * store appended. Frozen; a PERMIT is remembered in `issuedPermits` so `guard` may trust
 * its binding without canonicalizing the arguments again.
 */
import { WritError } from '@writ/verify'
import { issuedPermits } from '../gate-helpers.js'
import type { Decision, PermitDecision, RefusalDecision, StoredReceipt } from '../types.js'
import type { NormalizedRequest } from './normalize-request.js'
import type { Outcome } from './outcome.js'

/**
 * The decision for `stored`, the receipt the store appended for `request` after the gate
 * signed `signed`. A stored PERMIT the gate did not sign is an error, never a PERMIT.
 *
 * @throws WritError `GATE_ERROR` when the store returned a PERMIT the gate did not issue.
 */
export function answerOf(
  stored: StoredReceipt,
  signed: Outcome,
  request: NormalizedRequest,
): Decision {
  const claims = stored.claims
  if (claims.decision !== 'PERMIT') {
    const refusal: RefusalDecision = {
      decision: claims.decision,
      reason: claims.reason,
      rule: claims.rule,
      receipt: stored.token,
      claims,
      ...(request.problem === undefined ? {} : { problem: Object.freeze(request.problem) }),
    }
    return Object.freeze(refusal)
  }
  if (signed.decision !== 'PERMIT' || request.args === undefined) {
    throw new WritError('GATE_ERROR', 'The store returned a receipt the gate did not issue.')
  }
  const permit: PermitDecision = Object.freeze({
    decision: 'PERMIT',
    reason: claims.reason,
    rule: claims.rule,
    receipt: stored.token,
    claims,
    args: request.args.value,
  })
  issuedPermits.add(permit)
  return permit
}
