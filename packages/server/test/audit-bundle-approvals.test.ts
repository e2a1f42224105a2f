// A bundle carries the approvals its PERMITs name (spec sections 11 and 12): a PERMIT
// unlocked by Alice's approval verifies with it, and not without it or with another text.
import { exportAuditBundle, logVerifierKey, signCheckpointNote } from '@writ/core'
import { createApprovalsFixture } from '@writ/core/testing'
import { verifyBundle } from '@writ/verify'
import { describe, expect, it } from 'vitest'

describe('audit bundle: approvals', () => {
  it('carries the approval a PERMIT names, and refuses the bundle without it (BUNDLE_INVALID)', async () => {
    const fixture = createApprovalsFixture()
    const { gate } = fixture
    const large = { action: 'payments.transfer', args: { to: 'atlas', amount: 5000 } }
    const held = await gate.authorize(large)
    await gate.holds.submit(fixture.approve(held.receipt, 'alice'))
    const permit = await gate.authorize(large)
    expect(permit.decision).toBe('PERMIT')
    await signCheckpointNote({
      store: gate.store,
      chainId: gate.chainId,
      issuer: gate.issuer,
      signer: gate.keyRing.active,
    })
    const bundle = await exportAuditBundle({
      store: gate.store,
      chainId: gate.chainId,
      keys: await gate.keys(),
      policies: [gate.policy],
    })
    expect(bundle.approvals).toHaveLength(1)
    const trust = {
      keys: await gate.keys(),
      logs: [logVerifierKey(gate.issuer, gate.chainId, gate.keyRing.active.publicJwk)],
      quorum: 0,
    }
    expect(await verifyBundle(bundle, trust)).toMatchObject({
      assurance: 'checkpointed',
      receipts: 2,
    })
    const without = await verifyBundle({ ...bundle, approvals: [] }, trust)
    expect(without).toMatchObject({
      assurance: 'none',
      problem: { code: 'BUNDLE_INVALID', seq: 1 },
    })
    const altered = {
      ...bundle,
      approvals: [{ ...bundle.approvals![0]!, text: `${bundle.approvals![0]!.text}x` }],
    }
    expect((await verifyBundle(altered, trust)).problem).toMatchObject({
      code: 'BUNDLE_INVALID',
      seq: 1,
    })
  })
})
