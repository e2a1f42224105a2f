/**
 * What `verifyChain` needs to check the approvals behind PERMITs, read from a store that
 * keeps them and the approvers an auditor trusts.
 */
import type { ChainApprovalSources, WebAuthnApprovalVerifier } from '@writ/verify'
import type { Store } from '../types.js'
import type { ApproverDirectory } from './approvers.js'

/**
 * Approval sources for `verifyChain` over `store`: approvals by digest and hold receipts
 * by id from the store, approvers (keys and groups) from `approvers`, which an auditor
 * should take from the authority's published configuration, not from the store.
 *
 * @example
 * ```ts
 * const report = await verifyChain(tokens, keys, { approvals: approvalSources(store, approvers) })
 * ```
 */
export function approvalSources(
  store: Store,
  approvers: ApproverDirectory,
  webauthn?: WebAuthnApprovalVerifier,
): ChainApprovalSources {
  return {
    approval: async (digest) => (await store.holds?.approval(digest))?.text,
    holdReceipt: async (id) => (await store.receipt(id))?.token,
    approvers: {
      keysOf: (id) => approvers.keysOf(id),
      inGroup: (id, group) => approvers.inGroup(id, group),
    },
    ...(webauthn === undefined ? {} : { webauthn }),
  }
}
