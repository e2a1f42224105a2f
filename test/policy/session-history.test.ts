/**
 * Session history (`history` in conditions, rule `tags`) on every store: a session that
 * read an untrusted page is refused an outside email; the history belongs to the session
 * the application names, never to anything the model writes; two gates sharing a store
 * judge one session's decisions in turn, never on the same history; past its bounds a
 * session is refused, never judged on part of it.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  compilePolicy,
  createGate,
  createMemoryStore,
  generateSigningKey,
  type Store,
} from '@writ/core'
import { createTestAsyncSigner } from '@writ/core/testing'
import { createPostgresStore } from '@writ/store-postgres'
import { createSqliteStore } from '@writ/store-sqlite'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type PgCluster, startPgCluster } from '../support/pg-cluster.mjs'

const policy = compilePolicy(`writ: 1
id: taint
rules:
  - id: fetch
    effect: permit
    actions: [web.fetch]
    tags: [untrusted]
  - id: send
    effect: permit
    actions: [email.send]
  - id: no-outside-mail-after-untrusted
    effect: deny
    actions: [email.send]
    when: "!args.to.endsWith('@corp.example') && history.exists(h, 'untrusted' in h.tags)"
    reason: SESSION_TAINTED
tests:
  - name: an outside email in a fresh session is permitted
    action: email.send
    args: { to: a@outside.example }
    session: run-1
    expect: { decision: PERMIT, rule: send }
  - name: a rule reading history refuses a request without a session
    action: email.send
    args: { to: a@outside.example }
    expect: { decision: DENY, rule: no-outside-mail-after-untrusted, reason: SESSION_REQUIRED }
`)

const keys = generateSigningKey()
type Gate = ReturnType<typeof createGate>
const gateOn = (store: Store, maxEntries?: number): Gate =>
  createGate({
    policy,
    keys,
    issuer: 'https://w.example',
    store,
    ...(maxEntries === undefined ? {} : { sessionHistory: { maxEntries } }),
  })
const fetchIn = (gate: Gate, session: string | undefined, url = 'https://evil.example/') =>
  gate.authorize({ action: 'web.fetch', args: { url }, ...(session ? { session } : {}) })
const mailIn = (gate: Gate, session: string | undefined, to = 'x@outside.example') =>
  gate.authorize({ action: 'email.send', args: { to }, ...(session ? { session } : {}) })
const verdict = (decision: { decision: string; reason: string; rule: string | null }) => [
  decision.decision,
  decision.reason,
  decision.rule,
]

async function checkTaint(first: Store, second: Store = first): Promise<void> {
  const [one, two] = [gateOn(first), gateOn(second)]
  const session = `s-${Math.random().toString(36).slice(2)}`
  expect(verdict(await mailIn(one, session))).toEqual(['PERMIT', 'RULE_PERMIT', 'send'])
  expect((await fetchIn(two, session)).decision).toBe('PERMIT')
  // After the untrusted read, on either instance: outside mail refused, inside mail fine.
  for (const gate of [one, two]) {
    expect(verdict(await mailIn(gate, session))).toEqual([
      'DENY',
      'SESSION_TAINTED',
      'no-outside-mail-after-untrusted',
    ])
    expect((await mailIn(gate, session, 'boss@corp.example')).decision).toBe('PERMIT')
  }
  // Another session is untouched; no session at all fails closed.
  expect((await mailIn(two, `${session}-other`)).decision).toBe('PERMIT')
  expect(verdict(await mailIn(one, undefined))).toEqual([
    'DENY',
    'SESSION_REQUIRED',
    'no-outside-mail-after-untrusted',
  ])
}

// Concurrent decisions of one session, spread over two gates: the fetch and the mails
// race, and every mail judged after the fetch was written sees it.
async function checkRace(first: Store, second: Store = first): Promise<void> {
  const gates = [gateOn(first), gateOn(second)]
  const session = `race-${Math.random().toString(36).slice(2)}`
  const calls = [0, 1, 2, 3, 4, 5].map((index) =>
    index === 2 ? fetchIn(gates[0]!, session) : mailIn(gates[index % 2]!, session),
  )
  const decisions = await Promise.all(calls)
  const byIat = decisions
    .map((decision, index) => ({ index, decision, seq: decision.claims.chain.seq }))
    .sort((left, right) => left.seq - right.seq)
  expect(decisions[2]!.decision).toBe('PERMIT')
  // The mails that follow the fetch in the store's order are all refused (same chain: seq orders them).
  if (first === second) {
    let tainted = false
    for (const { index, decision } of byIat) {
      if (index === 2) tainted = true
      else expect(decision.decision).toBe(tainted ? 'DENY' : 'PERMIT')
    }
  }
  // Whatever the order, a mail afterwards is refused on both instances.
  for (const gate of gates) expect((await mailIn(gate, session)).decision).toBe('DENY')
}

// Another instance decides in the session between this gate's read and its append:
// the store refuses the append judged on the stale history, and the gate judges again.
async function checkStaleRead(store: Store, other: Store = store): Promise<void> {
  const session = `stale-${Math.random().toString(36).slice(2)}`
  const sessions = store.sessions
  if (sessions === undefined) throw new Error('the store keeps no sessions')
  let reads = 0
  const racing: Store = {
    ...store,
    append: (chainId, options, issue) => store.append(chainId, options, issue),
    sessions: {
      async read(id, bounds) {
        const snapshot = await sessions.read(id, bounds)
        if (reads++ === 0) await fetchIn(gateOn(other), session)
        return snapshot
      },
    },
  }
  const decision = await mailIn(gateOn(racing), session)
  expect(verdict(decision)).toEqual(['DENY', 'SESSION_TAINTED', 'no-outside-mail-after-untrusted'])
  expect(reads).toBe(2)
}

describe('session history', () => {
  it('memory store: taint', () => checkTaint(createMemoryStore()))
  it('memory store: concurrent decisions of one session', () => checkRace(createMemoryStore()))
  it('memory store: a decision judged on a stale history is judged again', () =>
    checkStaleRead(createMemoryStore()))

  it('SQLite store (a real file)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'writ-history-'))
    const path = join(dir, 'writ.db')
    const store = createSqliteStore({ path })
    try {
      await checkTaint(store)
      await checkRace(store)
      await checkStaleRead(store)
    } finally {
      await store.close()
    }
    // The history outlives the process: a new store on the same file still remembers.
    const reopened = createSqliteStore({ path })
    try {
      const gate = gateOn(reopened)
      await fetchIn(gate, 'kept')
      await reopened.close()
      const again = createSqliteStore({ path })
      try {
        expect((await mailIn(gateOn(again), 'kept')).decision).toBe('DENY')
      } finally {
        await again.close()
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  describe('PostgreSQL', () => {
    let cluster: PgCluster | undefined
    let url = process.env['WRIT_PG_URL'] ?? ''
    beforeAll(async () => {
      if (!url) {
        cluster = await startPgCluster()
        url = cluster.url
      }
    }, 120_000)
    afterAll(() => cluster?.destroy())

    it('two instances sharing one database see one session', async () => {
      const schema = `history_${process.pid}_${Date.now().toString(36)}`
      const one = await createPostgresStore({ connectionString: url, schema })
      const two = await createPostgresStore({ connectionString: url, schema })
      try {
        await checkTaint(one, two)
        await checkRace(one, two)
        await checkStaleRead(one, two)
      } finally {
        await one.close()
        await two.close()
      }
    }, 60_000)
  })

  it('with a key outside the process (the signing lane) the history is written and read the same way', async () => {
    const store = createMemoryStore()
    const gate = createGate({
      policy,
      keys: createTestAsyncSigner({ key: keys, delayMs: 2 }),
      issuer: 'https://w.example',
      store,
    })
    const session = 'lane'
    const decisions = await Promise.all([
      mailIn(gate, session),
      fetchIn(gate, session),
      mailIn(gate, session),
    ])
    // Each mail is judged on what precedes it in the chain: denied exactly when the fetch does.
    const fetchSeq = decisions[1]!.claims.chain.seq
    for (const mail of [decisions[0]!, decisions[2]!]) {
      expect(mail.decision).toBe(mail.claims.chain.seq > fetchSeq ? 'DENY' : 'PERMIT')
    }
    expect(verdict(await mailIn(gate, session))).toEqual([
      'DENY',
      'SESSION_TAINTED',
      'no-outside-mail-after-untrusted',
    ])
  })

  it('the model cannot clear or spoof its session: arguments and context naming another session change nothing', async () => {
    const gate = gateOn(createMemoryStore())
    await fetchIn(gate, 'victim')
    const spoofed = await gate.authorize({
      action: 'email.send',
      args: { to: 'x@outside.example', session: 'fresh', history: [] },
      context: { session: 'fresh', history: [] },
      session: 'victim',
    })
    expect(verdict(spoofed)).toEqual(['DENY', 'SESSION_TAINTED', 'no-outside-mail-after-untrusted'])
    // A session that is not a string is refused as input, never judged on an empty history.
    const odd = await gate.authorize({
      action: 'email.send',
      args: { to: 'x@outside.example' },
      session: { id: 'fresh' } as unknown as string,
    })
    expect([odd.decision, odd.reason]).toEqual(['DENY', 'INPUT_INVALID'])
  })

  it('a session past the bound is refused (SESSION_HISTORY_EXCEEDED), never judged on part of it', async () => {
    const gate = gateOn(createMemoryStore(), 3)
    for (let index = 0; index < 3; index++) await mailIn(gate, 'long', 'a@corp.example')
    expect((await mailIn(gate, 'long')).decision).toBe('PERMIT')
    // Four earlier decisions now, one more than the bound: the rule reading history refuses.
    expect(verdict(await mailIn(gate, 'long'))).toEqual([
      'DENY',
      'SESSION_HISTORY_EXCEEDED',
      'no-outside-mail-after-untrusted',
    ])
    // Actions no rule of which reads history are not affected.
    expect((await fetchIn(gate, 'long')).decision).toBe('PERMIT')
  })

  it('a store that keeps no sessions refuses rules that read history (SESSION_HISTORY_UNAVAILABLE)', async () => {
    const { sessions: _dropped, ...rest } = createMemoryStore()
    const gate = gateOn(rest as Store)
    expect(verdict(await mailIn(gate, 'any'))).toEqual([
      'DENY',
      'SESSION_HISTORY_UNAVAILABLE',
      'no-outside-mail-after-untrusted',
    ])
  })

  it('bad bounds are refused at creation', () => {
    for (const maxEntries of [0, 4097, 1.5]) {
      expect(() => gateOn(createMemoryStore(), maxEntries)).toThrow(
        expect.objectContaining({ code: 'GATE_ERROR' }),
      )
    }
  })
})
