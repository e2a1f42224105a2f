/**
 * Start-up self-tests through the real `writ` executable: `writ serve` refuses a policy
 * whose `tests:` fail (a `writ: POLICY_SELF_TEST_FAILED:` line naming the test, exit 1,
 * no store created), starts with one whose tests pass, and `writ policy test` lists them.
 */

import { existsSync, writeFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import {
  type OpsWorkspace,
  opsFile,
  opsWorkspace,
  runWrit,
  spawnWrit,
  startServe,
} from './support.js'

opsFile()

const policy = (expectDecision: string) => `writ: 1
id: ops
rules:
  - id: payments
    effect: permit
    actions: [payments.transfer]
    when: args.amount > 0 && args.amount <= 100
  - id: no-sanctioned
    effect: deny
    actions: ['payments.*']
    when: "args.to.startsWith('sanctioned_')"
tests:
  - name: a small payment is permitted
    action: payments.transfer
    args: { to: acme, amount: 5 }
    expect: { decision: PERMIT, rule: payments }
  - name: a sanctioned payee is refused
    action: payments.transfer
    args: { to: sanctioned_1, amount: 5 }
    expect: { decision: ${expectDecision}, rule: no-sanctioned }
`

async function inWorkspace(test: (ws: OpsWorkspace) => Promise<void>): Promise<void> {
  const ws = opsWorkspace()
  try {
    await test(ws)
  } finally {
    ws.remove()
  }
}

describe('writ serve and policy self-tests', () => {
  it(
    'refuses to start when a self-test fails: the code, the test named, exit 1, no store',
    () =>
      inWorkspace(async (ws) => {
        writeFileSync(ws.path('policy.yaml'), policy('PERMIT'))
        const refused = spawnWrit(ws.serveArgs())
        expect(await refused.exited).toBe(1)
        const stderr = refused.stderr()
        expect(/^writ: ([A-Z_]+): /m.exec(stderr)?.[1]).toBe('POLICY_SELF_TEST_FAILED')
        expect(stderr).toContain('"a sanctioned payee is refused"')
        expect(stderr).not.toMatch(/\n\s+at /)
        expect(refused.stdout()).not.toMatch(/serving on/)
        expect(existsSync(ws.path('writ.db'))).toBe(false)
      }),
    60_000,
  )

  it(
    'starts when every self-test passes',
    () =>
      inWorkspace(async (ws) => {
        writeFileSync(ws.path('policy.yaml'), policy('DENY'))
        const server = await startServe(ws.serveArgs())
        server.child.kill('SIGTERM')
        expect(await server.exited).toBe(0)
      }),
    60_000,
  )
})

describe('writ policy test runs the self-tests', () => {
  it(
    'lists each self-test and exits 0 when all pass, 1 with the failing one named',
    () =>
      inWorkspace(async (ws) => {
        writeFileSync(ws.path('good.yaml'), policy('DENY'))
        const good = await runWrit(['policy', 'test', ws.path('good.yaml')])
        expect(good.code).toBe(0)
        expect(good.stdout).toContain('PASS  self-test: a sanctioned payee is refused')
        expect(good.stdout).toContain('2 passed, 0 failed')
        writeFileSync(ws.path('bad.yaml'), policy('PERMIT'))
        const bad = await runWrit(['policy', 'test', ws.path('bad.yaml'), '--json'])
        expect(bad.code).toBe(1)
        const report = JSON.parse(bad.stdout) as {
          failed: number
          cases: { name: string; pass: boolean }[]
        }
        expect(report.failed).toBe(1)
        expect(report.cases.find((item) => !item.pass)?.name).toBe(
          'self-test: a sanctioned payee is refused',
        )
        const check = await runWrit(['policy', 'check', ws.path('bad.yaml')])
        expect(check.code).toBe(1)
        expect(check.stderr).toMatch(/^writ: POLICY_SELF_TEST_FAILED: /m)
      }),
    60_000,
  )
})
