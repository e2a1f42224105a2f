import { compilePolicy, createGate, generateSigningKey, type LocalGate } from '@writ/core'
import {
  candidatePaymentsPolicyText,
  paymentsPolicyTextWith,
  recordedHistory,
} from '@writ/core/testing'
import { createSqliteStore } from '@writ/store-sqlite'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type Workspace, workspace, writJson } from './helpers.js'

let ws: Workspace
beforeEach(() => {
  ws = workspace()
  ws.write('enforcing.yaml', paymentsPolicyTextWith())
  ws.write('candidate.yaml', candidatePaymentsPolicyText)
})
afterEach(() => ws.remove())

const START = 1_800_000_000

/** Records the shared history in writ.db: the enforcing policy, shadowed by the candidate. */
async function recordHistory(
  options: { shadow?: boolean; policyText?: string; start?: number } = {},
) {
  const store = createSqliteStore({ path: ws.path('writ.db'), retention: [{ actions: '**' }] })
  let now = (options.start ?? START) * 1000
  const gate: LocalGate = createGate({
    policy: compilePolicy(options.policyText ?? paymentsPolicyTextWith()),
    keys: generateSigningKey(),
    issuer: 'https://writ.test',
    store,
    clock: () => now,
    ...(options.shadow === false ? {} : { shadow: compilePolicy(candidatePaymentsPolicyText) }),
  })
  const jtis: string[] = []
  for (const [index, request] of recordedHistory.entries()) {
    jtis.push(
      (await gate.authorize({ ...request, request: `req-${index}`, agent: 'a' })).claims.jti,
    )
    now += 1000
  }
  await store.close()
  return jtis
}

const keyOf = (change: {
  request: string
  enforcing: { decision: string; rule: string | null }
  candidate: { decision: string; rule: string | null }
}) =>
  `${change.request} ${change.enforcing.decision}/${change.enforcing.rule} -> ${change.candidate.decision}/${change.candidate.rule}`

describe('writ shadow report and writ policy replay', () => {
  it('report the same changes for the same history, and exit 1 on them', async () => {
    await recordHistory()
    const report = await writJson(ws, 'shadow', 'report', '--store', 'writ.db', '--json')
    expect(report.code).toBe(1)
    expect(report.output.disagreements).toBe(4)
    const replay = await writJson(
      ws,
      'policy',
      'replay',
      '--store',
      'writ.db',
      '--policy',
      'candidate.yaml',
      '--json',
    )
    expect(replay.code).toBe(1)
    expect(replay.output).toMatchObject({ considered: 8, replayed: 8, changed: 4 })
    expect(replay.output.transitions).toEqual(report.output.transitions)
    const text = await ws.writ(
      'policy',
      'replay',
      '--store',
      'writ.db',
      '--policy',
      'candidate.yaml',
    )
    expect(text.stdout).toContain('PERMIT small-transfers')
    expect(text.stdout).toContain('DENY daily-spend')
    expect(text.stdout).toContain('req-4')
  })

  it('exits 0 when the candidate decides everything alike', async () => {
    await recordHistory({ shadow: false })
    const same = await ws.writ(
      'policy',
      'replay',
      '--store',
      'writ.db',
      '--policy',
      'enforcing.yaml',
    )
    expect(same.code).toBe(0)
    expect(same.stdout).toContain('no decision changed')
    expect((await ws.writ('shadow', 'report', '--store', 'writ.db')).code).toBe(0)
  })

  it('narrows replay by time and action', async () => {
    await recordHistory()
    const windowed = await writJson(
      ws,
      'policy',
      'replay',
      '--store',
      'writ.db',
      '--policy',
      'candidate.yaml',
      '--since',
      String(START + 4),
      '--action',
      'payments.*',
      '--json',
    )
    expect(windowed.output).toMatchObject({ considered: 1, changed: 0 })
    expect(windowed.code).toBe(0)
  })

  it('reports a retained copy edited in the file and does not use it', async () => {
    const jtis = await recordHistory({ shadow: false })
    const edited = jtis[1] as string
    // An insider lowers the amount of the 700 transfer so the stricter candidate looks harmless.
    const database = new Database(ws.path('writ.db'))
    database
      .prepare(
        "UPDATE retained_requests SET record = json_set(record, '$.args.amount', 5) WHERE jti = ?",
      )
      .run(edited)
    database.close()
    const replay = await writJson(
      ws,
      'policy',
      'replay',
      '--store',
      'writ.db',
      '--policy',
      'candidate.yaml',
      '--json',
    )
    expect(replay.code).toBe(1)
    expect(replay.output.mismatched).toEqual([edited])
    expect(replay.output.changes.map(keyOf)).not.toContain(expect.stringMatching(/^req-1 /))
  })

  it('lists requests whose session it cannot rebuild as not replayable, and exits 1', async () => {
    const jtis = await recordHistory({ shadow: false })
    // A copy kept before Writ recorded sessions carries none.
    const database = new Database(ws.path('writ.db'))
    database
      .prepare(
        "UPDATE retained_requests SET record = json_remove(record, '$.session') WHERE jti = ?",
      )
      .run(jtis[0])
    database.close()
    ws.write(
      'reads-history.yaml',
      `${candidatePaymentsPolicyText.replace(
        'limits:',
        `  - id: busy-session
    effect: deny
    actions: [payments.transfer]
    when: history.size() > 100
limits:`,
      )}`,
    )
    const argv = ['policy', 'replay', '--store', 'writ.db', '--policy', 'reads-history.yaml']
    const replay = await writJson(ws, ...argv)
    expect(replay.code).toBe(1)
    expect(replay.output.notReplayable).toEqual([
      { receipt: jtis[0], reason: 'session-not-retained' },
    ])
    const text = await ws.writ(...argv)
    expect(text.stdout).toContain(`not replayable: ${jtis[0]} (session-not-retained)`)
  })

  it('refuses a store that does not exist', async () => {
    const missing = await ws.writ('shadow', 'report', '--store', 'missing.db')
    expect(missing.code).toBe(3)
  })
})

describe('writ stats', () => {
  it('flags a rule whose PERMIT rate moved after a policy change', async () => {
    await recordHistory({ shadow: false })
    await recordHistory({
      shadow: false,
      policyText: candidatePaymentsPolicyText,
      start: START + 3600,
    })
    const candidate = compilePolicy(candidatePaymentsPolicyText)
    const stats = await writJson(ws, 'stats', '--store', 'writ.db', '--json')
    expect(stats.code).toBe(1)
    expect(stats.output.around).toBe(candidate.digest)
    const lookups = stats.output.rows.find((row: { group: string }) => row.group === 'lookups')
    expect(lookups).toMatchObject({ flagged: true, before: { permits: 2 }, after: { permits: 1 } })
    const relaxed = await ws.writ('stats', '--store', 'writ.db', '--threshold', '0.9')
    expect(relaxed.code).toBe(0)
    expect(relaxed.stdout).toContain('PERMIT BEFORE')
    const unknown = await ws.writ(
      'stats',
      '--store',
      'writ.db',
      '--around',
      `sha256:${'1'.repeat(64)}`,
    )
    expect(unknown.code).toBe(3)
  })
})
