/**
 * `writ serve --shadow FILE --retain GLOB --redact PATH` end to end: a real process
 * decides, the candidate only observes; then `writ shadow report` and
 * `writ policy replay` read the same SQLite file and agree.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { opsFile, runWrit, startServe } from './support.js'

const ops = opsFile({ workspace: true })

const CANDIDATE = `writ: 1
id: ops
rules:
  - id: small-payments
    effect: permit
    actions: [payments.transfer]
    when: args.amount <= 100
`

async function decide(url: string, token: string, args: object) {
  const response = await fetch(`${url}/v1/decisions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ action: 'payments.transfer', args: JSON.stringify(args) }),
  })
  return (await response.json()) as { decision: string; rule: string | null }
}

describe('writ serve --shadow and --retain', () => {
  it('enforces only the policy, records the candidate, and replay agrees with shadow', async () => {
    const ws = ops.ws
    writeFileSync(ws.path('candidate.yaml'), CANDIDATE, { mode: 0o644 })
    const server = await startServe([
      ...ws.serveArgs('ops.db'),
      '--shadow',
      ws.path('candidate.yaml'),
      '--retain',
      'payments.*',
      '--redact',
      'args.memo',
    ])
    const memo = 'rent for flat 3, account 12345678'
    expect(await decide(server.url, ws.token, { amount: 50, memo })).toMatchObject({
      decision: 'PERMIT',
    })
    // The candidate would refuse this one; the enforcing policy permits it.
    expect(await decide(server.url, ws.token, { amount: 500, memo })).toMatchObject({
      decision: 'PERMIT',
      rule: 'payments',
    })
    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)

    const store = ws.path('ops.db')
    expect(readFileSync(store).includes(Buffer.from(memo))).toBe(false)
    const report = await runWrit(['shadow', 'report', '--store', store, '--json'])
    expect(report.code).toBe(1)
    expect(JSON.parse(report.stdout)).toMatchObject({
      // The candidate names another rule for the small payment, and refuses the large one.
      disagreements: 2,
    })
    const replay = await runWrit([
      'policy',
      'replay',
      '--store',
      store,
      '--policy',
      ws.path('candidate.yaml'),
      '--json',
    ])
    expect(replay.code).toBe(1)
    const replayed = JSON.parse(replay.stdout)
    expect(replayed).toMatchObject({ replayed: 2, changed: 2, redacted: 2 })
    expect(replayed.transitions).toContainEqual(
      expect.objectContaining({ from: 'PERMIT', fromRule: 'payments', to: 'SILENCE', count: 1 }),
    )
    expect(replayed.transitions).toEqual(JSON.parse(report.stdout).transitions)
    const same = await runWrit([
      'policy',
      'replay',
      '--store',
      store,
      '--policy',
      ws.path('policy.yaml'),
    ])
    expect(same.code).toBe(0)
  }, 90_000)

  it('refuses --redact without --retain before listening', async () => {
    const ws = ops.ws
    const refused = await runWrit([...ws.serveArgs('refused.db'), '--redact', 'args.memo'])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/^writ: USAGE: /m)
  }, 60_000)
})
