/**
 * The policy-operations conformance suite: shadow disagreements and retained arguments
 * kept by a store, and replay agreeing with shadow mode on the same history. Run by the
 * memory, SQLite and PostgreSQL stores alike.
 */
import { describe, expect, it } from 'vitest'
import { createGate, type LocalGate } from '../gate.js'
import { generateSigningKey } from '../keys.js'
import type { RetentionRule, ShadowDisagreement } from '../operations/records.js'
import { replayDecisions } from '../operations/replay.js'
import { checkRetained } from '../operations/retention.js'
import { type CompiledPolicy, compilePolicy } from '../policy/index.js'
import type { Store } from '../types.js'
import { paymentsPolicyTextWith } from './payments-fixture.js'
import { describeSessionReplayCases } from './session-replay-conformance.js'
import type { StoreUnderTest } from './store-conformance.js'

/** Builds a fresh, empty store with these retention rules (none: retention off). */
export type RecordsStoreFactory = (retention?: readonly RetentionRule[]) => Promise<StoreUnderTest>

/** A stricter payments policy: smaller transfers, a daily spend limit, no reports. */
export const candidatePaymentsPolicyText: string = `writ: 1
id: payments
rules:
  - id: small-transfers
    effect: permit
    actions: [payments.transfer]
    when: args.amount <= 500
  - id: no-sanctioned
    effect: deny
    actions: [payments.*]
    when: args.to == 'mallory'
    reason: SANCTIONED_PAYEE
  - id: lookups
    effect: permit
    actions: [accounts.lookup]
limits:
  - id: daily-spend
    actions: [payments.transfer]
    per: agent
    window: 24h
    sum: args.amount
    max: 1200
    reason: DAILY_SPEND
`

/** Requests of the shared history: some the candidate decides otherwise, some alike. */
export const recordedHistory: readonly { action: string; args: Record<string, unknown> }[] = [
  { action: 'payments.transfer', args: { to: 'bob', amount: 400 } },
  { action: 'payments.transfer', args: { to: 'bob', amount: 700 } },
  { action: 'payments.transfer', args: { to: 'mallory', amount: 5 } },
  { action: 'payments.transfer', args: { to: 'carol', amount: 450 } },
  { action: 'payments.transfer', args: { to: 'dave', amount: 400 } },
  { action: 'reports.read', args: {} },
  { action: 'accounts.lookup', args: { id: 7, card: { number: '4111111111111111' } } },
  { action: 'exports.all', args: {} },
]

function gateOn(store: Store, options: { shadow?: CompiledPolicy; start?: number } = {}) {
  let now = options.start ?? 1_800_000_000_000
  const gate = createGate({
    policy: compilePolicy(paymentsPolicyTextWith()),
    keys: generateSigningKey(),
    issuer: 'https://writ.test',
    store,
    clock: () => now,
    ...(options.shadow === undefined ? {} : { shadow: options.shadow }),
  })
  const tick = () => {
    now += 1000
  }
  return { gate, tick }
}

async function runHistory(gate: LocalGate, tick: () => void): Promise<string[]> {
  const requests: string[] = []
  for (const [index, request] of recordedHistory.entries()) {
    const decision = await gate.authorize({ ...request, request: `req-${index}`, agent: 'agent-7' })
    requests.push(decision.claims.req)
    tick()
  }
  return requests
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = []
  for await (const item of source) all.push(item)
  return all
}

const outcomeKey = (record: ShadowDisagreement) =>
  `${record.request} ${record.enforcing.decision}/${record.enforcing.rule} -> ${record.candidate.decision}/${record.candidate.rule}/${record.candidate.reason}`

/** Registers the policy-operations cases for a store. */
export function describePolicyRecordsConformance(name: string, factory: RecordsStoreFactory): void {
  describe(`${name}: policy-operations records`, () => {
    describeShadowCases(factory)
    describeRetentionCases(factory)
    describeReplayCases(factory)
    describeSessionReplayCases(factory)
  })
}

function describeShadowCases(factory: RecordsStoreFactory): void {
  it('records where the shadow candidate disagrees; only the enforcing policy decides', async () => {
    const { store, cleanup } = await factory()
    try {
      const candidate = compilePolicy(candidatePaymentsPolicyText)
      const { gate, tick } = gateOn(store, { shadow: candidate })
      await runHistory(gate, tick)
      const records = await collect(store.records!.disagreements())
      expect(records.map(outcomeKey)).toEqual([
        'req-1 PERMIT/small-transfers -> SILENCE/null/CONDITION_FALSE',
        'req-4 PERMIT/small-transfers -> DENY/daily-spend/DAILY_SPEND',
        'req-5 PERMIT/lookups -> SILENCE/null/NO_APPLICABLE_RULE',
        'req-7 DENY/no-exports -> SILENCE/null/NO_APPLICABLE_RULE',
      ])
      expect(records[0]?.candidate.digest).toBe(candidate.digest)
      expect(records[0]?.enforcing.digest).toBe(gate.policy.digest)
      const receipt = await store.receipt(records[1]!.receipt)
      expect(receipt?.claims).toMatchObject({ decision: 'PERMIT', req: 'req-4' })
      expect(gate.shadowStats()).toMatchObject({ evaluated: 8, disagreements: 4, failures: 0 })
      const since = records[1]!.at
      expect((await collect(store.records!.disagreements({ since }))).length).toBe(3)
      expect((await collect(store.records!.disagreements({ until: since - 1 }))).length).toBe(1)
    } finally {
      await cleanup()
    }
  })

  it('a shadow that permits everything, or throws, never turns a refusal into a PERMIT', async () => {
    const { store, cleanup } = await factory()
    try {
      const enforcing = compilePolicy(paymentsPolicyTextWith())
      const permitsAll: CompiledPolicy = {
        ...enforcing,
        evaluate: () => ({ decision: 'PERMIT', reason: 'RULE_PERMIT', rule: 'any', limits: [] }),
      }
      const throwing: CompiledPolicy = {
        ...enforcing,
        evaluate: () => {
          throw new Error('candidate broke')
        },
      }
      for (const shadow of [permitsAll, throwing]) {
        const { gate } = gateOn(store, { shadow })
        let ran = false
        const guarded = gate.guard(
          { action: 'payments.transfer', args: { to: 'mallory', amount: 5 } },
          () => {
            ran = true
          },
        )
        await expect(guarded).rejects.toMatchObject({ code: 'ACTION_REFUSED' })
        expect(ran).toBe(false)
        const decision = await gate.authorize({ action: 'exports.all', args: {} })
        expect(decision).toMatchObject({ decision: 'DENY', reason: 'EXPORTS_FORBIDDEN' })
      }
    } finally {
      await cleanup()
    }
  })
}

function describeRetentionCases(factory: RecordsStoreFactory): void {
  it('keeps no arguments unless asked', async () => {
    const { store, cleanup } = await factory()
    try {
      const { gate } = gateOn(store)
      const decision = await gate.authorize(recordedHistory[0]!)
      expect(await store.records!.retained(decision.claims.jti)).toBeUndefined()
      const report = await replayDecisions(store, compilePolicy(candidatePaymentsPolicyText))
      expect(report).toMatchObject({ considered: 1, replayed: 0, notRetained: 1 })
    } finally {
      await cleanup()
    }
  })

  it('keeps the arguments of the named actions, redacted paths replaced by their digest', async () => {
    const retention = [
      { actions: 'payments.*' },
      { actions: ['accounts.lookup'], redact: ['args.card.number', 'context.absent'] },
    ]
    const { store, cleanup } = await factory(retention)
    try {
      const { gate } = gateOn(store)
      const transfer = await gate.authorize({ ...recordedHistory[0]!, context: { ip: '10.0.0.1' } })
      const lookup = await gate.authorize(recordedHistory[6]!)
      const read = await gate.authorize(recordedHistory[5]!)
      const kept = await store.records!.retained(transfer.claims.jti)
      expect(kept).toEqual({
        receipt: transfer.claims.jti,
        args: { to: 'bob', amount: 400 },
        context: { ip: '10.0.0.1' },
        redacted: [],
        session: null,
        tags: [],
      })
      expect(checkRetained(kept!, transfer.claims)).toBe('verified')
      const redacted = await store.records!.retained(lookup.claims.jti)
      expect(redacted?.redacted).toEqual(['args.card.number'])
      expect(JSON.stringify(redacted)).not.toContain('4111111111111111')
      const card = redacted!.args['card'] as { number: string }
      expect(card.number).toMatch(/^sha256:[0-9a-f]{64}$/)
      expect(checkRetained(redacted!, lookup.claims)).toBe('redacted')
      expect(await store.records!.retained(read.claims.jti)).toBeUndefined()
    } finally {
      await cleanup()
    }
  })
}

function describeReplayCases(factory: RecordsStoreFactory): void {
  it('replay agrees with shadow on the same history, limits in order', async () => {
    const { store, cleanup } = await factory([{ actions: '**' }])
    try {
      const candidate = compilePolicy(candidatePaymentsPolicyText)
      const { gate, tick } = gateOn(store, { shadow: candidate })
      await runHistory(gate, tick)
      const shadowed = await collect(store.records!.disagreements())
      const report = await replayDecisions(store, candidate)
      expect(report).toMatchObject({ considered: 8, replayed: 8, changed: 4, notRetained: 0 })
      expect(report.changes.map(outcomeKey)).toEqual(shadowed.map(outcomeKey))
      expect(report.transitions[0]).toMatchObject({ count: 1, examples: [expect.any(String)] })
      const windowed = await replayDecisions(store, candidate, { action: 'payments.*' })
      expect(windowed).toMatchObject({ considered: 5, changed: 2 })
    } finally {
      await cleanup()
    }
  })

  it('reports an edited retained copy and never decides on it', async () => {
    const { store, cleanup } = await factory([{ actions: '**' }])
    try {
      const { gate } = gateOn(store)
      const decision = await gate.authorize({ ...recordedHistory[1]!, request: 'edited' })
      const kept = await store.records!.retained(decision.claims.jti)
      // Someone with write access to the store lowers the amount to hide a change.
      await store.records!.putRetained({ ...kept!, args: { to: 'bob', amount: 5 } })
      const report = await replayDecisions(store, compilePolicy(candidatePaymentsPolicyText))
      expect(report).toMatchObject({ replayed: 0, changed: 0, mismatched: [decision.claims.jti] })
    } finally {
      await cleanup()
    }
  })
}
