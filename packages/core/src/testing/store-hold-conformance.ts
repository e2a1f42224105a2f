/**
 * The approval cases of the store conformance suite (spec section 11): every store keeps
 * holds and approvals beside its receipts, records each approval once, and lets one hold
 * yield at most one PERMIT however many requests race for it.
 */
import { type ReceiptClaims, WritError } from '@writ/verify'
import { expect, it } from 'vitest'
import { createKeyRing } from '../key-ring.js'
import { generateSigningKey } from '../keys.js'
import { encodeReceipt, receiptClaims } from '../receipt-issuer.js'
import type { Store } from '../types.js'
import { createApprovalsFixture } from './approvals-fixture.js'

type WithStore = (test: (store: Store) => Promise<void>) => Promise<void>

const large = { action: 'payments.transfer', args: { to: 'acme', amount: 20000 } }

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    if (WritError.isInstance(error)) return error.code
    throw error
  }
  return 'RESOLVED'
}

function holdId(decision: object): string {
  const { hold } = decision as { readonly hold?: { readonly id: string } }
  if (hold === undefined) throw new Error('expected a hold')
  return hold.id
}

function keepsHolds(withStore: WithStore): void {
  it('approvals: keeps a hold with its arguments, found by id, match and state', () =>
    withStore(async (store) => {
      expect(store.holds).toBeDefined()
      const fixture = createApprovalsFixture({ store })
      const held = await fixture.gate.authorize(large)
      const hold = await store.holds?.get(holdId(held))
      expect(hold?.state).toBe('open')
      expect(JSON.parse(hold?.args ?? 'null')).toEqual(large.args)
      expect(hold?.receipt).toBe(held.receipt)
      expect(
        (await store.holds?.byMatch(hold?.match ?? 'sha256:0'))?.map((entry) => entry.id),
      ).toEqual([hold?.id])
      expect((await store.holds?.list({ state: 'open' }))?.map((entry) => entry.id)).toEqual([
        hold?.id,
      ])
      expect(await store.holds?.get('no-such-hold')).toBeUndefined()
    }))
}

function recordsApprovalsOnce(withStore: WithStore): void {
  it('approvals: records each approval once, one per approver, and a reject closes the hold', () =>
    withStore(async (store) => {
      const fixture = createApprovalsFixture({ store, quorum: 2 })
      const held = await fixture.gate.authorize(large)
      const approval = fixture.approve(held.receipt, 'alice')
      const view = await fixture.gate.holds.submit(approval)
      expect(view.approvals.map((entry) => entry.by)).toEqual(['alice'])
      expect(await codeOf(fixture.gate.holds.submit(approval))).toBe('APPROVAL_USED')
      const now = Math.floor(Date.now() / 1000) - 5
      expect(
        await codeOf(
          fixture.gate.holds.submit(fixture.approve(held.receipt, 'alice', 'approve', { now })),
        ),
      ).toBe('APPROVAL_DUPLICATE')
      const stored = await store.holds?.approval(view.approvals[0]?.digest ?? 'sha256:0')
      expect(stored?.text).toBe(approval)
      await fixture.gate.holds.submit(fixture.approve(held.receipt, 'bob', 'reject'))
      expect((await store.holds?.get(holdId(held)))?.state).toBe('rejected')
      expect(await codeOf(fixture.gate.holds.submit(fixture.approve(held.receipt, 'carol')))).toBe(
        'APPROVAL_REJECTED',
      )
      const again = await fixture.gate.authorize(large)
      expect([again.decision, again.reason]).toEqual(['DENY', 'APPROVAL_REJECTED'])
    }))
}

function oneHoldOnePermit(withStore: WithStore): void {
  it('approvals: one hold yields at most one PERMIT, however many requests race', () =>
    withStore(async (store) => {
      const fixture = createApprovalsFixture({ store })
      const second = createApprovalsFixture({
        store,
        chainId: 'second',
        approvers: fixture.directory,
      })
      const held = await fixture.gate.authorize(large)
      await fixture.gate.holds.submit(fixture.approve(held.receipt, 'alice'))
      const decisions = await Promise.all(
        Array.from({ length: 16 }, (_, index) =>
          (index % 2 === 0 ? fixture.gate : second.gate).authorize(large),
        ),
      )
      const permits = decisions.filter((decision) => decision.decision === 'PERMIT')
      expect(permits).toHaveLength(1)
      expect(permits[0]?.claims.hold).toBe(holdId(held))
      const hold = await store.holds?.get(holdId(held))
      expect([hold?.state, hold?.permit]).toEqual(['used', permits[0]?.claims.jti])
      // The PERMIT names approvals the store keeps beside it.
      for (const entry of permits[0]?.claims.appr ?? []) {
        expect((await store.holds?.approval(entry.digest))?.approver).toBe(entry.by)
      }
    }))
}

function refusesPermitWithoutHold(withStore: WithStore): void {
  it('approvals: refuses to store a PERMIT that names a hold that is not open', () =>
    withStore(async (store) => {
      const ring = createKeyRing(generateSigningKey())
      const attempt = (closeHold?: { id: string; close: 'used' }) =>
        store.append(
          'main',
          { now: 1_700_000_000, ...(closeHold === undefined ? {} : { closeHold }) },
          (context) => {
            const claims: ReceiptClaims = receiptClaims(
              {
                iss: 'https://conformance.writ.test',
                jti: `permit-${context.position.seq}`,
                iat: 1_700_000_000,
                exp: 1_700_000_300,
                sub: 'agent',
                req: 'r',
                decision: 'PERMIT',
                reason: 'APPROVED',
                rule: 'large',
                policy: { id: 'conformance', digest: `sha256:${'0'.repeat(64)}` },
                act: { name: 'conformance.act', args: `sha256:${'1'.repeat(64)}` },
                hold: 'forged-hold',
                appr: [{ by: 'alice', digest: `sha256:${'2'.repeat(64)}` }],
              },
              {
                id: context.position.chainId,
                seq: context.position.seq,
                prev: context.position.prev,
              },
            )
            return { token: encodeReceipt(claims, ring.active), claims, reserve: true }
          },
        )
      expect(await codeOf(attempt())).toBe('STORE_CONFLICT')
      expect(await codeOf(attempt({ id: 'forged-hold', close: 'used' }))).toBe('STORE_CONFLICT')
      expect((await store.head('main')).seq).toBe(0)
    }))
}

/** Registers the approval cases; `withStore` hands each a fresh store. */
export function describeHoldConformance(withStore: WithStore): void {
  keepsHolds(withStore)
  recordsApprovalsOnce(withStore)
  oneHoldOnePermit(withStore)
  refusesPermitWithoutHold(withStore)
}
