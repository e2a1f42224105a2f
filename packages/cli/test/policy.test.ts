import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { explainArgv, PAYMENTS_POLICY, type Workspace, workspace, writJson } from './helpers.js'

let ws: Workspace
beforeEach(() => {
  ws = workspace()
  ws.write('policy.yaml', PAYMENTS_POLICY)
})
afterEach(() => ws.remove())

const CASES = `
- name: small transfer is permitted
  action: payments.transfer
  args: { to: acme, amount: 250 }
  expect: { decision: PERMIT, rule: small-transfers, reason: RULE_PERMIT }
- name: sanctioned payee is denied
  action: payments.transfer
  args: '{"to":"mallory","amount":1}'
  agent: bot-7
  expect: { decision: DENY, rule: sanctioned, reason: SANCTIONED_PAYEE }
- name: large transfer is silent
  action: payments.transfer
  args: { to: acme, amount: 5000 }
  expect: { decision: SILENCE, rule: null }
- name: duplicate keys are refused
  action: payments.transfer
  args: '{"amount":1,"amount":2}'
  expect: { decision: DENY, reason: INPUT_INVALID }
`

describe('writ policy check', () => {
  it('prints the id and digest of a valid policy', async () => {
    const result = await ws.writ('policy', 'check', 'policy.yaml')
    expect(result.code).toBe(0)
    expect(result.stdout).toMatch(/^OK payments-test sha256:[0-9a-f]{64}\n$/)
    const json = JSON.parse((await ws.writ('policy', 'check', 'policy.yaml', '--json')).stdout)
    expect(json).toMatchObject({ valid: true, id: 'payments-test' })
  })

  it('gives the same digest for the same document in JSON', async () => {
    ws.write(
      'policy.json',
      JSON.stringify({
        writ: 1,
        id: 'payments-test',
        rules: [
          {
            id: 'small-transfers',
            effect: 'permit',
            actions: ['payments.transfer'],
            when: 'args.amount <= 1000',
          },
          {
            id: 'sanctioned',
            effect: 'deny',
            actions: ['payments.*'],
            when: "args.to == 'mallory'",
            reason: 'SANCTIONED_PAYEE',
          },
        ],
      }),
    )
    const yaml = JSON.parse((await ws.writ('policy', 'check', 'policy.yaml', '--json')).stdout)
    const json = JSON.parse((await ws.writ('policy', 'check', 'policy.json', '--json')).stdout)
    expect(json.digest).toBe(yaml.digest)
  })

  it('exits 1 with the file, rule id and path of each problem', async () => {
    ws.write(
      'bad.yaml',
      'writ: 1\nid: bad\nrules:\n  - id: good\n    effect: permit\n    actions: [a]\n  - id: broken\n    effect: maybe\n    actions: [a]\n',
    )
    const result = await ws.writ('policy', 'check', 'bad.yaml')
    expect(result.code).toBe(1)
    expect(result.stderr).toMatch(/^writ: POLICY_INVALID: bad\.yaml/m)
    expect(result.stderr).toContain('broken')
    expect(result.stderr).toContain('rules[1].effect')
    const json = JSON.parse((await ws.writ('policy', 'check', 'bad.yaml', '--json')).stdout)
    expect(json.valid).toBe(false)
    expect(json.code).toBe('POLICY_INVALID')
    expect(json.problems[0]).toMatchObject({ file: 'bad.yaml', path: 'rules[1].effect' })
  })

  it('exits 1 on an unknown member and on a condition that does not compile', async () => {
    ws.write('unknown.yaml', 'writ: 1\nid: x\nrules: []\nextra: true\n')
    expect((await ws.writ('policy', 'check', 'unknown.yaml')).code).toBe(1)
    ws.write(
      'cel.yaml',
      'writ: 1\nid: x\nrules:\n  - id: r\n    effect: permit\n    actions: [a]\n    when: "args.amount <<< 3"\n',
    )
    const result = await ws.writ('policy', 'check', 'cel.yaml')
    expect(result.code).toBe(1)
    expect(result.stderr).toContain('rules[0].when')
  })

  it('warns, and still exits 0, on a condition whose cost grows with the square of its arguments', async () => {
    ws.write(
      'slow.yaml',
      'writ: 1\nid: x\nrules:\n  - id: r\n    effect: permit\n    actions: [a]\n    when: "args.cc.all(c, !(c in args.bcc))"\n',
    )
    const result = await ws.writ('policy', 'check', 'slow.yaml')
    expect(result.code).toBe(0)
    expect(result.stderr).toMatch(/^writ: warning: slow\.yaml:7:\d+: rule r: rules\[0\]\.when: /)
    const json = JSON.parse((await ws.writ('policy', 'check', 'slow.yaml', '--json')).stdout)
    expect(json).toMatchObject({ valid: true, warnings: [{ rule: 'r', path: 'rules[0].when' }] })
    const clean = await ws.writ('policy', 'check', 'policy.yaml')
    expect(clean.stderr).toBe('')
  })

  it('exits 3 on a missing file', async () => {
    const result = await ws.writ('policy', 'check', 'missing.yaml')
    expect(result.code).toBe(3)
    expect(result.stderr).toMatch(/^writ: IO_ERROR: /)
  })
})

describe('writ policy test', () => {
  it('passes every case and exits 0', async () => {
    ws.write('cases.yaml', CASES)
    const result = await ws.writ('policy', 'test', 'policy.yaml', 'cases.yaml')
    expect(result.code).toBe(0)
    expect(result.stdout.match(/^PASS /gm)).toHaveLength(4)
    expect(result.stdout).toContain('4 passed, 0 failed')
  })

  it('reports each failing case and exits 1', async () => {
    ws.write(
      'cases.json',
      JSON.stringify([
        {
          name: 'right',
          action: 'payments.transfer',
          args: { to: 'acme', amount: 1 },
          expect: { decision: 'PERMIT' },
        },
        {
          name: 'wrong',
          action: 'payments.transfer',
          args: { to: 'acme', amount: 1 },
          expect: { decision: 'DENY' },
        },
        {
          name: 'wrong rule',
          action: 'payments.transfer',
          args: { to: 'acme', amount: 1 },
          expect: { decision: 'PERMIT', rule: 'other' },
        },
      ]),
    )
    const result = await ws.writ('policy', 'test', 'policy.yaml', 'cases.json')
    expect(result.code).toBe(1)
    expect(result.stdout).toMatch(/^PASS {2}right$/m)
    expect(result.stdout).toMatch(/^FAIL {2}wrong: expected DENY, got PERMIT/m)
    expect(result.stdout).toMatch(/^FAIL {2}wrong rule: /m)
    const json = JSON.parse(
      (await ws.writ('policy', 'test', 'policy.yaml', 'cases.json', '--json')).stdout,
    )
    expect(json).toMatchObject({ passed: 1, failed: 2 })
    expect(json.cases[1]).toMatchObject({
      name: 'wrong',
      pass: false,
      actual: { decision: 'PERMIT', rule: 'small-transfers' },
    })
  })

  it('honours now: a condition over now decides by the case time', async () => {
    ws.write(
      'hours.yaml',
      "writ: 1\nid: hours\nrules:\n  - id: after-2030\n    effect: permit\n    actions: [a]\n    when: now > timestamp('2030-01-01T00:00:00Z')\n",
    )
    ws.write(
      'cases.yaml',
      `- name: before
  action: a
  args: {}
  now: 2026-06-01T00:00:00Z
  expect: { decision: SILENCE }
- name: after
  action: a
  args: {}
  now: 2031-06-01T00:00:00Z
  expect: { decision: PERMIT }
`,
    )
    const result = await ws.writ('policy', 'test', 'hours.yaml', 'cases.yaml')
    expect(result.stdout).toContain('2 passed, 0 failed')
    expect(result.code).toBe(0)
  })

  it('exits 3 with CASES_INVALID on a malformed cases file, 1 on an invalid policy', async () => {
    ws.write('cases.yaml', '- name: no expectation\n  action: a\n  args: {}\n')
    const result = await ws.writ('policy', 'test', 'policy.yaml', 'cases.yaml')
    expect(result.code).toBe(3)
    expect(result.stderr).toMatch(/^writ: CASES_INVALID: /)
    ws.write('bad.yaml', 'writ: 2\nid: x\nrules: []\n')
    ws.write('ok.yaml', CASES)
    expect((await ws.writ('policy', 'test', 'bad.yaml', 'ok.yaml')).code).toBe(1)
  })
})

describe('writ policy explain', () => {
  it('shows which rules apply, hold and the decision', async () => {
    const { code, output } = await writJson(
      ws,
      ...explainArgv('payments.transfer', '{"to":"mallory","amount":5}'),
    )
    expect(code).toBe(0)
    expect(output).toMatchObject({
      decision: 'DENY',
      rule: 'sanctioned',
      reason: 'SANCTIONED_PAYEE',
    })
    const byId = Object.fromEntries(output.rules.map((rule: { id: string }) => [rule.id, rule]))
    expect(byId['sanctioned']).toMatchObject({ applies: true, holds: true, error: null })
    expect(byId['small-transfers']).toMatchObject({ applies: true, holds: true })

    const human = await ws.writ(...explainArgv('refunds.issue', '{}'))
    expect(human.code).toBe(0)
    expect(human.stdout).toMatch(/small-transfers: does not apply/)
    expect(human.stdout).toMatch(/decision\s+SILENCE\s+reason NO_APPLICABLE_RULE/)
  })

  it('names a condition that fails to evaluate', async () => {
    ws.write(
      'errors.yaml',
      'writ: 1\nid: errors\nrules:\n  - id: needs-amount\n    effect: permit\n    actions: [a]\n    when: args.amount > 1\n',
    )
    const output = JSON.parse(
      (await ws.writ('policy', 'explain', 'errors.yaml', '--action', 'a', '--args', '{}', '--json'))
        .stdout,
    )
    expect(output).toMatchObject({ decision: 'DENY', reason: 'EVAL_ERROR', rule: 'needs-amount' })
    expect(typeof output.rules[0].error).toBe('string')
  })

  it('explains refused input as the gate’s INPUT_INVALID', async () => {
    const { output } = await writJson(ws, ...explainArgv('payments.transfer', '{"a":1,"a":2}'))
    expect(output).toMatchObject({
      decision: 'DENY',
      reason: 'INPUT_INVALID',
      problem: { code: 'INPUT_DUPLICATE_KEY' },
    })
  })

  it('exits 2 without --action and 1 on an invalid policy', async () => {
    expect((await ws.writ('policy', 'explain', 'policy.yaml', '--args', '{}')).code).toBe(2)
    ws.write('bad.yaml', 'writ: 1\n')
    expect(
      (await ws.writ('policy', 'explain', 'bad.yaml', '--action', 'a', '--args', '{}')).code,
    ).toBe(1)
  })
})
