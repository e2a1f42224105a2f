import { type ApprovalClaims, verifyChain, verifyReceipt, WritError } from '@writ/verify'
import { describe, expect, it } from 'vitest'
import { createGate } from '../gate.js'
import { generateSigningKey } from '../keys.js'
import { createMemoryStore } from '../memory-store.js'
import { compilePolicy } from '../policy/index.js'
import { refusalPayload } from '../refusal.js'
import {
  approvalsPolicyText,
  claimsOf,
  createApprovalsFixture,
} from '../testing/approvals-fixture.js'
import { createTestAsyncSigner } from '../testing/async-signer-fixture.js'
import type { Decision } from '../types.js'
import { parseApprovers } from './approvers.js'
import { approvalSources } from './chain-sources.js'
import { approvalClaimsFor, signApproval } from './sign-approval.js'

const large = { action: 'payments.transfer', args: { to: 'acme', amount: 20000 } }

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    if (WritError.isInstance(error)) return error.code
    throw error
  }
  throw new Error('expected a rejection')
}

function holdOf(decision: Decision): string {
  const hold = (decision as { hold?: { id: string } }).hold
  if (hold === undefined) throw new Error(`not held: ${decision.decision} ${decision.reason}`)
  return hold.id
}

async function guardRuns(fixture: ReturnType<typeof createApprovalsFixture>, request = large) {
  let runs = 0
  try {
    await fixture.gate.guard(request, () => {
      runs += 1
    })
  } catch {
    // A refusal: counted by `runs`.
  }
  return runs
}

describe('approve rules: precedence and the hold', () => {
  it('permits small, denies huge (deny > approve) and holds large with a hold claim', async () => {
    const { gate } = createApprovalsFixture()
    const small = await gate.authorize({
      action: 'payments.transfer',
      args: { to: 'a', amount: 5 },
    })
    expect(small.decision).toBe('PERMIT')
    const huge = await gate.authorize({
      action: 'payments.transfer',
      args: { to: 'a', amount: 2e6 },
    })
    expect([huge.decision, huge.rule]).toEqual(['DENY', 'huge'])
    const held = await gate.authorize(large)
    expect([held.decision, held.reason, held.rule]).toEqual([
      'SILENCE',
      'APPROVAL_REQUIRED',
      'large',
    ])
    expect(holdOf(held)).toBe(held.claims.jti)
    expect(held.claims.hold).toEqual({
      approvers: 'finance',
      quorum: 1,
      exp: held.claims.iat + 900,
    })
    const view = await gate.holds.get(holdOf(held))
    expect(view?.state).toBe('pending')
    expect(view?.args).toEqual(large.args)
    expect(view?.ruleDescription).toContain('finance')
  })

  it('a held guard never runs the action and answers with the hold', async () => {
    const fixture = createApprovalsFixture()
    let error: unknown
    let runs = 0
    try {
      await fixture.gate.guard(large, () => {
        runs += 1
      })
    } catch (caught) {
      error = caught
    }
    expect(runs).toBe(0)
    const payload = refusalPayload(error)
    expect(payload.reason).toBe('APPROVAL_REQUIRED')
    expect(payload.message).toContain(
      `held for approval by finance, id ${payload.hold?.id}`.slice(1),
    )
    expect(payload.message).toContain('ask again after approval')
  })

  it('an approval unlocks exactly one PERMIT that names it', async () => {
    const fixture = createApprovalsFixture()
    const { gate } = fixture
    const held = await gate.authorize(large)
    const approval = fixture.approve(held.receipt, 'alice', 'approve', { note: 'invoice 42' })
    const view = await gate.holds.submit(approval)
    expect(view.state).toBe('approved')
    expect(view.approvals[0]?.note).toBe('invoice 42')
    let ran = 0
    const permit = await gate.guard(large, (_args, decision) => {
      ran += 1
      return decision
    })
    expect(ran).toBe(1)
    expect(permit.claims.hold).toBe(holdOf(held))
    expect(permit.claims.appr).toEqual([{ by: 'alice', digest: view.approvals[0]?.digest }])
    expect((await gate.holds.get(holdOf(held)))?.state).toBe('used')
    // Single use: the next identical ask opens a new hold.
    expect(await guardRuns(fixture)).toBe(0)
    const again = await gate.authorize(large)
    expect(again.decision).toBe('SILENCE')
    expect(holdOf(again)).not.toBe(holdOf(held))
    const tokens: string[] = []
    for await (const receipt of gate.store.receipts(gate.chainId)) tokens.push(receipt.token)
    const report = await verifyChain(tokens, gate.verifyKeys())
    expect(report.valid).toBe(true)
    await verifyReceipt(permit.receipt, gate.verifyKeys())
  })

  it('stateful limits are checked when the PERMIT is issued', async () => {
    const fixture = createApprovalsFixture({ dailyLimit: 20500 })
    const held = await fixture.gate.authorize(large)
    await fixture.gate.holds.submit(fixture.approve(held.receipt, 'alice'))
    const small = await fixture.gate.authorize({
      action: 'payments.transfer',
      args: { to: 'b', amount: 600 },
    })
    expect(small.decision).toBe('PERMIT')
    expect(await guardRuns(fixture)).toBe(0)
    const refused = await fixture.gate.authorize(large)
    expect([refused.decision, refused.reason]).toEqual(['DENY', 'LIMIT_EXCEEDED'])
  })
})

describe('approvals that must not count', () => {
  it('APPROVAL_MISMATCH: other arguments, action, agent, or another hold', async () => {
    const fixture = createApprovalsFixture()
    const held = await fixture.gate.authorize(large)
    const claims = claimsOf(held.receipt)
    const other = await fixture.gate.authorize({ ...large, args: { to: 'acme', amount: 30000 } })
    const variants: ApprovalClaims[] = [
      { ...approvalClaimsFor(claims, 'alice', 'approve'), act: claimsOf(other.receipt).act },
      {
        ...approvalClaimsFor(claims, 'alice', 'approve'),
        act: { ...claims.act, name: 'payments.refund' },
      },
      { ...approvalClaimsFor(claims, 'alice', 'approve'), sub: 'agent-8' },
    ]
    for (const variant of variants) {
      expect(
        await codeOf(fixture.gate.holds.submit(signApproval(variant, fixture.keys['alice']))),
      ).toBe('APPROVAL_MISMATCH')
    }
    const good = fixture.approve(held.receipt, 'alice')
    expect(await codeOf(fixture.gate.holds.submit(good, { hold: holdOf(other) }))).toBe(
      'APPROVAL_MISMATCH',
    )
    expect(await guardRuns(fixture)).toBe(0)
  })

  it('APPROVAL_MISMATCH: a hold for one audience does not answer another', async () => {
    const fixture = createApprovalsFixture()
    const held = await fixture.gate.authorize({ ...large, audience: 'bank-a' })
    await fixture.gate.holds.submit(fixture.approve(held.receipt, 'alice'))
    const other = await fixture.gate.authorize({ ...large, audience: 'bank-b' })
    expect([other.decision, other.reason]).toEqual(['SILENCE', 'APPROVAL_REQUIRED'])
    expect(holdOf(other)).not.toBe(holdOf(held))
  })

  it('APPROVER_IS_AGENT, APPROVER_UNKNOWN, bad keys and signatures', async () => {
    const fixture = createApprovalsFixture()
    const held = await fixture.gate.authorize(large)
    const submit = (text: string) => codeOf(fixture.gate.holds.submit(text))
    expect(await submit(fixture.approve(held.receipt, 'agent-7'))).toBe('APPROVER_IS_AGENT')
    expect(await submit(fixture.approve(held.receipt, 'mallory'))).toBe('APPROVER_UNKNOWN')
    expect(
      await submit(fixture.approve(held.receipt, 'zed', 'approve', { key: generateSigningKey() })),
    ).toBe('APPROVER_UNKNOWN')
    expect(
      await submit(
        fixture.approve(held.receipt, 'alice', 'approve', { key: fixture.keys['bob']! }),
      ),
    ).toBe('KEY_UNKNOWN')
    const good = fixture.approve(held.receipt, 'alice')
    const [header, payload, signature] = good.split('.') as [string, string, string]
    const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`
    expect(await submit(`${header}.${payload}.${flipped}`)).toBe('SIGNATURE_INVALID')
    expect(await guardRuns(fixture)).toBe(0)
  })

  it('HOLD_UNKNOWN for a forged hold id', async () => {
    const fixture = createApprovalsFixture()
    const held = await fixture.gate.authorize(large)
    const forged = {
      ...approvalClaimsFor(claimsOf(held.receipt), 'alice', 'approve'),
      hold: 'forged-hold',
    }
    expect(
      await codeOf(fixture.gate.holds.submit(signApproval(forged, fixture.keys['alice']))),
    ).toBe('HOLD_UNKNOWN')
    expect(await guardRuns(fixture)).toBe(0)
  })

  it('APPROVAL_USED: replayed on the same hold, on a second hold, and after its PERMIT', async () => {
    const fixture = createApprovalsFixture()
    const held = await fixture.gate.authorize(large)
    const approval = fixture.approve(held.receipt, 'alice')
    await fixture.gate.holds.submit(approval)
    expect(await codeOf(fixture.gate.holds.submit(approval))).toBe('APPROVAL_USED')
    expect(await guardRuns(fixture)).toBe(1)
    const second = await fixture.gate.authorize(large)
    expect(await codeOf(fixture.gate.holds.submit(approval, { hold: holdOf(second) }))).toBe(
      'APPROVAL_USED',
    )
    expect(await guardRuns(fixture)).toBe(0)
  })

  it('APPROVAL_EXPIRED: an expired approval, and an approval after the hold expired', async () => {
    let now = Date.now()
    const fixture = createApprovalsFixture({ ttl: '1m', clock: () => now })
    const held = await fixture.gate.authorize(large)
    const stale = fixture.approve(held.receipt, 'alice', 'approve', {
      now: Math.floor(now / 1000) - 3600,
      ttlSeconds: 60,
    })
    expect(await codeOf(fixture.gate.holds.submit(stale))).toBe('APPROVAL_EXPIRED')
    const backdated = fixture.approve(held.receipt, 'carol', 'approve', {
      now: Math.floor(now / 1000) - 3600,
      ttlSeconds: 86_400,
    })
    expect(await codeOf(fixture.gate.holds.submit(backdated))).toBe('APPROVAL_EXPIRED')
    now += 120_000
    const late = fixture.approve(held.receipt, 'bob', 'approve', { now: Math.floor(now / 1000) })
    expect(await codeOf(fixture.gate.holds.submit(late))).toBe('APPROVAL_EXPIRED')
    expect(await guardRuns(fixture)).toBe(0)
    expect((await fixture.gate.holds.get(holdOf(held)))?.state).toBe('expired')
    const next = await fixture.gate.authorize(large)
    expect([next.decision, next.reason]).toEqual(['SILENCE', 'APPROVAL_REQUIRED'])
    expect(holdOf(next)).not.toBe(holdOf(held))
  })

  it('a quorum cannot be padded with one approver twice', async () => {
    const fixture = createApprovalsFixture({ quorum: 2 })
    const held = await fixture.gate.authorize(large)
    const now = Math.floor(Date.now() / 1000)
    await fixture.gate.holds.submit(fixture.approve(held.receipt, 'alice', 'approve', { now }))
    const twice = fixture.approve(held.receipt, 'alice', 'approve', { now: now - 1 })
    expect(await codeOf(fixture.gate.holds.submit(twice))).toBe('APPROVAL_DUPLICATE')
    expect(await guardRuns(fixture)).toBe(0)
    await fixture.gate.holds.submit(fixture.approve(held.receipt, 'bob'))
    expect(await guardRuns(fixture)).toBe(1)
  })

  it('a reject closes the hold: later approvals are refused and the action stays denied', async () => {
    const fixture = createApprovalsFixture()
    const held = await fixture.gate.authorize(large)
    const view = await fixture.gate.holds.submit(
      fixture.approve(held.receipt, 'bob', 'reject', { note: 'no' }),
    )
    expect(view.state).toBe('rejected')
    expect(await codeOf(fixture.gate.holds.submit(fixture.approve(held.receipt, 'alice')))).toBe(
      'APPROVAL_REJECTED',
    )
    expect(await guardRuns(fixture)).toBe(0)
    const again = await fixture.gate.authorize(large)
    expect([again.decision, again.reason]).toEqual(['DENY', 'APPROVAL_REJECTED'])
  })

  it('two agents racing for one hold get at most one PERMIT', async () => {
    const fixture = createApprovalsFixture()
    const held = await fixture.gate.authorize(large)
    await fixture.gate.holds.submit(fixture.approve(held.receipt, 'alice'))
    let runs = 0
    await Promise.allSettled(
      Array.from({ length: 24 }, () =>
        fixture.gate.guard(large, () => {
          runs += 1
        }),
      ),
    )
    expect(runs).toBe(1)
  })
})

describe('approval modes of guard', () => {
  it('wait: runs once approved within the deadline, refuses with the hold after it', async () => {
    const fixture = createApprovalsFixture()
    let runs = 0
    const waiting = fixture.gate.guard(
      large,
      () => {
        runs += 1
        return 'paid'
      },
      { approval: { mode: 'wait', timeoutMs: 5000, pollMs: 20 } },
    )
    const pending = await waitForHold(fixture)
    await fixture.gate.holds.submit(fixture.approve(pending, 'alice'))
    expect(await waiting).toBe('paid')
    expect(runs).toBe(1)
    const timedOut = fixture.gate.guard(large, () => 'paid', {
      approval: { mode: 'wait', timeoutMs: 50, pollMs: 10 },
    })
    expect(await codeOf(timedOut)).toBe('ACTION_REFUSED')
  })

  it('onHold tells a listener when a hold opens, with what approvers see', async () => {
    const seen: string[] = []
    const fixture = createApprovalsFixture({
      onHold: (hold) => seen.push(`${hold.id}:${hold.action}`),
    })
    const held = await fixture.gate.authorize(large)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(seen).toEqual([`${held.claims.jti}:payments.transfer`])
  })

  it('a store without holds refuses to hold (nothing runs)', async () => {
    const store = createMemoryStore()
    const { holds: _holds, ...withoutHolds } = store
    const gate = createGate({
      policy: compilePolicy(approvalsPolicyText()),
      keys: generateSigningKey(),
      issuer: 'https://writ.test',
      store: withoutHolds,
    })
    expect(await codeOf(gate.authorize(large))).toBe('STORE_UNAVAILABLE')
  })
})

async function waitForHold(fixture: ReturnType<typeof createApprovalsFixture>): Promise<string> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const [view] = await fixture.gate.holds.list({ state: 'pending' })
    if (view !== undefined) return view.receipt
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error('no hold opened')
}

describe('evidence: every PERMIT naming approvals is backed by them', () => {
  async function permitted() {
    const fixture = createApprovalsFixture({ quorum: 2 })
    const held = await fixture.gate.authorize(large)
    await fixture.gate.holds.submit(fixture.approve(held.receipt, 'alice'))
    await fixture.gate.holds.submit(fixture.approve(held.receipt, 'bob'))
    const permit = await fixture.gate.authorize(large)
    expect(permit.decision).toBe('PERMIT')
    const tokens: string[] = []
    for await (const receipt of fixture.gate.store.receipts(fixture.gate.chainId))
      tokens.push(receipt.token)
    return { fixture, tokens }
  }

  it('verifies with the store and the published approvers', async () => {
    const { fixture, tokens } = await permitted()
    const sources = approvalSources(fixture.gate.store, fixture.directory)
    const report = await verifyChain(tokens, fixture.gate.verifyKeys(), { approvals: sources })
    expect(report.valid).toBe(true)
    const unchecked = await verifyChain(tokens, fixture.gate.verifyKeys())
    expect(unchecked.valid && unchecked.unbackedApprovals).toBe(1)
  })

  it('reports an approval the store lost, an approver no longer trusted, and a lost hold', async () => {
    const { fixture, tokens } = await permitted()
    const keys = fixture.gate.verifyKeys()
    const sources = approvalSources(fixture.gate.store, fixture.directory)
    const lost = { ...sources, approval: () => undefined }
    expect(await verifyChain(tokens, keys, { approvals: lost })).toMatchObject({
      valid: false,
      code: 'APPROVAL_MISSING',
      seq: 1,
    })
    const distrusted = parseApprovers({
      ...fixture.directory.document,
      groups: { finance: ['alice', 'carol'] },
    })
    const narrowed = approvalSources(fixture.gate.store, distrusted)
    expect(await verifyChain(tokens, keys, { approvals: narrowed })).toMatchObject({
      valid: false,
      code: 'APPROVER_UNKNOWN',
    })
    const noHold = { ...sources, holdReceipt: () => undefined }
    expect(await verifyChain(tokens, keys, { approvals: noHold })).toMatchObject({
      valid: false,
      code: 'HOLD_UNKNOWN',
    })
    // Another approval handed over in place of the one named: its digest differs.
    const swapped = {
      ...sources,
      approval: async () => fixture.approve(tokens[0] as string, 'carol'),
    }
    expect(await verifyChain(tokens, keys, { approvals: swapped })).toMatchObject({
      valid: false,
      code: 'APPROVAL_MISSING',
    })
  })
})

describe('policy: approve rules', () => {
  const rule = (extra: string) => `writ: 1
id: p
rules:
  - id: r
    actions: [pay]
${extra}`
  const compiles = (text: string) => {
    try {
      compilePolicy(text)
      return 'ok'
    } catch (error) {
      return WritError.isInstance(error) ? error.code : 'THROWN'
    }
  }

  it('needs approvers, takes quorum and ttl up to 24h, and refuses them on other effects', () => {
    expect(compiles(rule('    effect: approve\n    approvers: finance\n'))).toBe('ok')
    expect(
      compiles(rule('    effect: approve\n    approvers: finance\n    quorum: 2\n    ttl: 24h\n')),
    ).toBe('ok')
    expect(compiles(rule('    effect: approve\n'))).toBe('POLICY_INVALID')
    expect(compiles(rule('    effect: approve\n    approvers: finance\n    ttl: 25h\n'))).toBe(
      'POLICY_INVALID',
    )
    expect(compiles(rule('    effect: approve\n    approvers: finance\n    quorum: 0\n'))).toBe(
      'POLICY_INVALID',
    )
    expect(compiles(rule('    effect: permit\n    approvers: finance\n'))).toBe('POLICY_INVALID')
    expect(compiles(rule('    effect: deny\n    quorum: 2\n'))).toBe('POLICY_INVALID')
  })

  it('defaults to a quorum of 1 and a 15-minute hold', async () => {
    const gate = createGate({
      policy: compilePolicy(rule('    effect: approve\n    approvers: finance\n')),
      keys: generateSigningKey(),
      issuer: 'https://writ.test',
    })
    const held = await gate.authorize({ action: 'pay', args: {} })
    expect(held.claims.hold).toEqual({
      approvers: 'finance',
      quorum: 1,
      exp: held.claims.iat + 900,
    })
  })

  it('refuses approvers taken from anywhere but the configuration: unknown members, keys with private parts', () => {
    const code = (document: unknown) => {
      try {
        parseApprovers(document)
        return 'ok'
      } catch (error) {
        return WritError.isInstance(error) ? error.code : 'THROWN'
      }
    }
    const key = generateSigningKey()
    expect(
      code({ groups: { finance: ['alice'] }, approvers: [{ id: 'alice', keys: [key] }] }),
    ).toBe('POLICY_INVALID')
    expect(code({ groups: { finance: ['bob'] }, approvers: [{ id: 'alice' }] })).toBe(
      'POLICY_INVALID',
    )
    expect(code({ groups: {}, approvers: [{ id: 'alice', extra: true }] })).toBe('POLICY_INVALID')
    expect(code('groups: { finance: [alice] }\napprovers: [{ id: alice, name: Alice }]\n')).toBe(
      'ok',
    )
  })
})

describe('a key outside the process (asynchronous signer)', () => {
  it('holds, unlocks one PERMIT under a race, and the chain verifies with its approvals', async () => {
    const signer = createTestAsyncSigner({ delayMs: 2 })
    const fixture = createApprovalsFixture({ keys: signer, dailyLimit: 100000 })
    const held = await fixture.gate.authorize(large)
    expect([held.decision, held.reason]).toEqual(['SILENCE', 'APPROVAL_REQUIRED'])
    await fixture.gate.holds.submit(fixture.approve(held.receipt, 'alice'))
    let runs = 0
    await Promise.allSettled(
      Array.from({ length: 12 }, () =>
        fixture.gate.guard(large, () => {
          runs += 1
        }),
      ),
    )
    expect(runs).toBe(1)
    const tokens: string[] = []
    for await (const receipt of fixture.gate.store.receipts(fixture.gate.chainId))
      tokens.push(receipt.token)
    const sources = approvalSources(fixture.gate.store, fixture.directory)
    expect(
      (await verifyChain(tokens, fixture.gate.verifyKeys(), { approvals: sources })).valid,
    ).toBe(true)
  })
})

describe('held and plain decisions on one chain with a key outside the process', () => {
  it('all succeed, concurrently, in one whole chain: the held ones sign in the chain lane too', async () => {
    const signer = createTestAsyncSigner({ delayMs: 3 })
    const fixture = createApprovalsFixture({ keys: signer, dailyLimit: 10_000_000 })
    const approved = await fixture.gate.authorize(large)
    await fixture.gate.holds.submit(fixture.approve(approved.receipt, 'alice'))
    const small = (index: number) => ({
      action: 'payments.transfer',
      args: { to: `shop-${index}`, amount: 5 },
    })
    const heldNew = (index: number) => ({
      action: 'payments.transfer',
      args: { to: `vendor-${index}`, amount: 20000 },
    })
    const settled = await Promise.allSettled([
      ...Array.from({ length: 12 }, (_, index) => fixture.gate.authorize(small(index))),
      ...Array.from({ length: 12 }, (_, index) => fixture.gate.authorize(heldNew(index))),
      ...Array.from({ length: 4 }, () => fixture.gate.authorize(large)),
    ])
    const failed = settled.filter((result) => result.status === 'rejected')
    expect(failed.map((result) => (result as PromiseRejectedResult).reason?.code)).toEqual([])
    const decisions = settled.map((result) => (result as PromiseFulfilledResult<Decision>).value)
    expect(decisions.slice(0, 12).every((decision) => decision.decision === 'PERMIT')).toBe(true)
    expect(
      decisions.slice(12, 24).every((decision) => decision.reason === 'APPROVAL_REQUIRED'),
    ).toBe(true)
    // One hold, one PERMIT: the other three racers are told the approval was used.
    const racers = decisions.slice(24).map((decision) => decision.reason)
    expect(racers.filter((reason) => reason === 'APPROVED')).toHaveLength(1)
    expect(racers.filter((reason) => reason === 'APPROVAL_USED')).toHaveLength(3)
    const tokens: string[] = []
    for await (const receipt of fixture.gate.store.receipts(fixture.gate.chainId))
      tokens.push(receipt.token)
    expect(tokens).toHaveLength(29)
    const sources = approvalSources(fixture.gate.store, fixture.directory)
    const report = await verifyChain(tokens, fixture.gate.verifyKeys(), { approvals: sources })
    expect(report).toMatchObject({ valid: true, size: 29 })
    // Each receipt signed once: none again for a position another decision took, and the
    // racers that lost the hold are signed as APPROVAL_USED from the start.
    expect(signer.calls).toBe(29)
  })
})
