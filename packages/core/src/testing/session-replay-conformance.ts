/**
 * Policy operations over session history, run by every store: a shadow candidate and a
 * replay of the same recorded requests see the same history of enforced decisions, and
 * a replay that cannot rebuild a session's history says so instead of guessing.
 */
import { expect, it } from 'vitest'
import { createGate } from '../gate.js'
import { generateSigningKey } from '../keys.js'
import type { RetentionRule, ShadowDisagreement } from '../operations/records.js'
import { replayDecisions } from '../operations/replay.js'
import { type CompiledPolicy, compilePolicy } from '../policy/index.js'
import type { Store } from '../types.js'
import type { StoreUnderTest } from './store-conformance.js'

/** Enforcing: fetches are tagged untrusted; mail is permitted. */
const ENFORCING = `writ: 1
id: agent-tools
rules:
  - id: fetch
    effect: permit
    actions: [web.fetch]
    tags: [untrusted]
  - id: send
    effect: permit
    actions: [email.send]
`

/** The same, with a rule that reads the history but never holds on these requests. */
const ENFORCING_READING_HISTORY = `${ENFORCING}  - id: endless-session
    effect: deny
    actions: [email.send]
    when: history.size() > 200
`

/** Candidate: no outside mail after an untrusted page, two mails per session. */
const CANDIDATE = `writ: 1
id: agent-tools
rules:
  - id: fetch
    effect: permit
    actions: [web.fetch]
  - id: send
    effect: permit
    actions: [email.send]
  - id: no-outside-mail-after-untrusted
    effect: deny
    actions: [email.send]
    when: "!args.to.endsWith('@corp.example') && history.exists(h, 'untrusted' in h.tags)"
    reason: SESSION_TAINTED
limits:
  - id: two-mails-per-session
    actions: [email.send]
    per: session
    window: 1h
    count: true
    max: 2
`

type Step = { action: string; args: Record<string, unknown>; session?: string }

const mail = (to: string, session?: string): Step => ({
  action: 'email.send',
  args: { to },
  ...(session === undefined ? {} : { session }),
})

/** Two sessions and a request without one; `s1` reads a page, then mails out. */
const STEPS: readonly Step[] = [
  mail('ann@outside.example', 's1'),
  { action: 'web.fetch', args: { url: 'https://news.example/' }, session: 's1' },
  mail('bob@outside.example', 's1'),
  mail('cat@corp.example', 's1'),
  mail('dan@corp.example', 's1'),
  mail('eve@outside.example', 's2'),
  mail('fay@outside.example'),
]

/** What the candidate would have decided otherwise, the same in shadow and replay. */
const EXPECTED = [
  'req-2 PERMIT/send -> DENY/no-outside-mail-after-untrusted/SESSION_TAINTED',
  'req-4 PERMIT/send -> DENY/two-mails-per-session/LIMIT_EXCEEDED',
  'req-6 PERMIT/send -> DENY/no-outside-mail-after-untrusted/SESSION_REQUIRED',
]

const outcomeKey = (record: ShadowDisagreement) =>
  `${record.request} ${record.enforcing.decision}/${record.enforcing.rule} -> ${record.candidate.decision}/${record.candidate.rule}/${record.candidate.reason}`

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = []
  for await (const item of source) all.push(item)
  return all
}

async function decideSteps(
  store: Store,
  enforcing: string,
  shadow?: CompiledPolicy,
  steps: readonly Step[] = STEPS,
) {
  let now = 1_800_000_000_000
  const gate = createGate({
    policy: compilePolicy(enforcing),
    keys: generateSigningKey(),
    issuer: 'https://writ.test',
    store,
    clock: () => now,
    ...(shadow === undefined ? {} : { shadow }),
  })
  const receipts: string[] = []
  for (const [index, step] of steps.entries()) {
    const decision = await gate.authorize({ ...step, request: `req-${index}`, agent: 'agent-7' })
    expect(decision.decision).toBe('PERMIT')
    receipts.push(decision.claims.jti)
    now += 1000
  }
  return { gate, receipts }
}

/** Registers the session cases of the policy-operations suite for a store. */
export function describeSessionReplayCases(
  factory: (retention?: readonly RetentionRule[]) => Promise<StoreUnderTest>,
): void {
  // An enforcing policy that reads the history refuses mail without a session itself.
  for (const [label, enforcing, count] of [
    ['an enforcing policy that reads no history', ENFORCING, STEPS.length],
    ['an enforcing policy that reads it too', ENFORCING_READING_HISTORY, STEPS.length - 1],
  ] as const) {
    it(`shadow and replay judge a session taint rule on the same history (${label})`, async () => {
      const { store, cleanup } = await factory([{ actions: '**' }])
      try {
        const candidate = compilePolicy(CANDIDATE)
        const expected = EXPECTED.slice(0, count - 4)
        await decideSteps(store, enforcing, candidate, STEPS.slice(0, count))
        const shadowed = await collect(store.records!.disagreements())
        expect(shadowed.map(outcomeKey)).toEqual(expected)
        const report = await replayDecisions(store, candidate)
        expect(report).toMatchObject({ considered: count, replayed: count, notReplayable: [] })
        expect(report.changes.map(outcomeKey)).toEqual(shadowed.map(outcomeKey))
        // From the tainted mail on: its history still holds the fetch before it (limits
        // count from the start of the replay).
        const later = await replayDecisions(store, candidate, { since: shadowed[0]!.at })
        expect(later.changes.map(outcomeKey)).toEqual(
          expected.filter((key) => !key.includes('LIMIT_EXCEEDED')),
        )
      } finally {
        await cleanup()
      }
    })
  }

  it('replay reports a request whose session history it cannot rebuild, never guesses', async () => {
    // Only mail is retained: the fetch's session is unknown to the replay.
    const { store, cleanup } = await factory([{ actions: 'email.*' }])
    try {
      const { receipts } = await decideSteps(store, ENFORCING)
      // A copy kept before Writ recorded sessions carries none.
      const old = await store.records!.retained(receipts[0]!)
      const { session: _session, tags: _tags, ...withoutSession } = old!
      await store.records!.putRetained(withoutSession)
      const report = await replayDecisions(store, compilePolicy(CANDIDATE))
      expect(report.notReplayable).toEqual([
        { receipt: receipts[0], reason: 'session-not-retained' },
        // Any session may hold the fetch: every mail within the window after it.
        ...[2, 3, 4, 5].map((index) => ({
          receipt: receipts[index],
          reason: 'history-incomplete',
        })),
      ])
      // The mail without a session is judged as the gate would: refused, it has no history.
      expect(report).toMatchObject({ replayed: 1, changed: 1, notRetained: 1 })
      // A candidate that reads no session replays them all.
      const plain = await replayDecisions(store, compilePolicy(ENFORCING))
      expect(plain).toMatchObject({ replayed: 6, changed: 0, notReplayable: [] })
    } finally {
      await cleanup()
    }
  })
}
