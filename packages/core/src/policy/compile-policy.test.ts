import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { digestOf, WritError } from '@writ/verify'
import { canonicalize } from '@writ/verify/internal'
import { describe, expect, it } from 'vitest'
import { compilePolicy, loadPolicyFile } from './compile-policy.js'

const yamlPolicy = `# payments
writ: 1
id: payments-production
description: Payments made by agents
rules:
  - id: small-transfers
    effect: permit
    actions: [payments.transfer]
    when: args.amount <= 1000 && args.currency in ['USD', 'EUR']
    reason: SMALL_TRANSFER
  - id: blocked-destinations
    effect: deny
    actions: ['payments.*']
    when: "args.to.startsWith('sanctioned_')"
limits:
  - id: daily-spend
    actions: [payments.transfer]
    per: agent
    window: 24h
    sum: args.amount
    max: 5000
    reason: DAILY_SPEND_LIMIT
`

function caught(run: () => unknown): WritError {
  try {
    run()
  } catch (error) {
    if (WritError.isInstance(error)) return error
    throw error
  }
  throw new Error('expected a WritError')
}

describe('compilePolicy: loading', () => {
  it('reads YAML and JSON forms of one document to the same digest', () => {
    const fromYaml = compilePolicy(yamlPolicy, { source: 'payments.yaml' })
    const json = JSON.stringify(fromYaml.document, null, 2)
    const fromJson = compilePolicy(json, { source: 'payments.json' })
    const fromData = compilePolicy(JSON.parse(json))
    expect(fromYaml.id).toBe('payments-production')
    expect(fromJson.digest).toBe(fromYaml.digest)
    expect(fromData.digest).toBe(fromYaml.digest)
    expect(fromYaml.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(fromYaml.source).toBe('payments.yaml')
  })

  it('digests the RFC 8785 bytes of the JSON data model', () => {
    const policy = compilePolicy(yamlPolicy)
    expect(policy.digest).toBe(digestOf(canonicalize(JSON.parse(JSON.stringify(policy.document)))))
  })

  it('changes the digest when anything in the document changes, comments and layout aside', () => {
    const base = compilePolicy(yamlPolicy).digest
    expect(compilePolicy(yamlPolicy.replace('max: 5000', 'max: 5001')).digest).not.toBe(base)
    expect(compilePolicy(yamlPolicy.replace('# payments', '# another comment')).digest).toBe(base)
    expect(compilePolicy(yamlPolicy.replace('max: 5000', 'max: 5000.0')).digest).toBe(base)
  })

  it('deep-freezes the document', () => {
    const policy = compilePolicy(yamlPolicy)
    expect(Object.isFrozen(policy.document.rules[0])).toBe(true)
    expect(Object.isFrozen(policy.document.rules[0]?.actions)).toBe(true)
  })

  it('reads a policy file, JSON by extension', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'writ-policy-'))
    const yamlPath = join(directory, 'policy.yaml')
    const jsonPath = join(directory, 'policy.json')
    writeFileSync(yamlPath, yamlPolicy)
    writeFileSync(jsonPath, JSON.stringify(compilePolicy(yamlPolicy).document))
    const fromYaml = await loadPolicyFile(yamlPath)
    const fromJson = await loadPolicyFile(jsonPath)
    expect(fromYaml.source).toBe(yamlPath)
    expect(fromJson.digest).toBe(fromYaml.digest)
    await expect(loadPolicyFile(join(directory, 'missing.yaml'))).rejects.toMatchObject({
      code: 'POLICY_INVALID',
      details: { source: join(directory, 'missing.yaml') },
    })
  })
})

describe('compilePolicy: errors say where and what', () => {
  it('refuses unknown rule members with path, ruleId, line and column', () => {
    const error = caught(() =>
      compilePolicy(
        yamlPolicy.replace('reason: SMALL_TRANSFER', 'reason: SMALL_TRANSFER\n    priority: 3'),
        { source: 'p.yaml' },
      ),
    )
    expect(error.code).toBe('POLICY_INVALID')
    expect(error.details).toMatchObject({
      source: 'p.yaml',
      path: 'rules[0].priority',
      ruleId: 'small-transfers',
      line: 11,
      column: 15,
    })
  })

  it('refuses unknown top-level members', () => {
    const error = caught(() => compilePolicy(`${yamlPolicy}approvals: []\n`))
    expect(error.code).toBe('POLICY_INVALID')
    expect(error.details).toMatchObject({ path: 'approvals', ruleId: null })
  })

  it.each([
    ['writ: 2', 'writ'],
    ['id: payments-production', 'id', 'id: "has spaces"'],
    ['effect: permit', 'rules[0].effect', 'effect: allow'],
    ['actions: [payments.transfer]\n    when', 'rules[0].actions', 'actions: []\n    when'],
    [
      'actions: [payments.transfer]\n    when',
      'rules[0].actions[0]',
      'actions: ["pay***"]\n    when',
    ],
    ['reason: SMALL_TRANSFER', 'rules[0].reason', 'reason: small'],
    ['window: 24h', 'limits[0].window', 'window: 1w'],
    ['max: 5000', 'limits[0].max', 'max: -1'],
  ])('reports %s problems at %s', (search, path, replacement = search.replace(/1$/, '2')) => {
    const text =
      search === 'writ: 2'
        ? yamlPolicy.replace('writ: 1', 'writ: 2')
        : yamlPolicy.replace(search, replacement)
    const error = caught(() => compilePolicy(text))
    expect(error.code).toBe('POLICY_INVALID')
    expect(error.details?.['path']).toBe(path)
  })

  it('needs exactly one of sum and count in a limit', () => {
    const both = caught(() =>
      compilePolicy(yamlPolicy.replace('sum: args.amount', 'sum: args.amount\n    count: true')),
    )
    expect(both.details).toMatchObject({ path: 'limits[0].sum', ruleId: 'daily-spend' })
    const neither = caught(() => compilePolicy(yamlPolicy.replace('    sum: args.amount\n', '')))
    expect(neither.code).toBe('POLICY_INVALID')
  })

  it('collects every problem', () => {
    const text = yamlPolicy
      .replace('effect: permit', 'effect: allow')
      .replace('window: 24h', 'window: forever')
    const error = caught(() => compilePolicy(text))
    const problems = error.details?.['problems'] as { path: string }[]
    expect(problems.map((problem) => problem.path)).toEqual(['rules[0].effect', 'limits[0].window'])
  })

  it('refuses duplicate keys in YAML and JSON', () => {
    expect(caught(() => compilePolicy('writ: 1\nid: a\nid: b\nrules: []\n')).code).toBe(
      'POLICY_INVALID',
    )
    const json = caught(() =>
      compilePolicy('{"writ":1,"id":"a","rules":[],"id":"b"}', { format: 'json' }),
    )
    expect(json.code).toBe('POLICY_INVALID')
    expect(json.details?.['line']).toBe(1)
  })

  it('refuses YAML aliases, merge keys and non-core tags', () => {
    const alias = 'writ: 1\nid: a\nrules:\n  - &r {id: x, effect: permit, actions: [a]}\n  - *r\n'
    expect(caught(() => compilePolicy(alias)).code).toBe('POLICY_INVALID')
    const merge =
      'writ: 1\nid: a\nrules:\n  - {id: x, effect: permit, actions: [a], <<: {reason: X}}\n'
    expect(caught(() => compilePolicy(merge)).code).toBe('POLICY_INVALID')
    expect(caught(() => compilePolicy('writ: 1\nid: !!binary aGk=\nrules: []\n')).code).toBe(
      'POLICY_INVALID',
    )
  })

  it('reads JSON strictly and refuses non-JSON values', () => {
    expect(
      caught(() => compilePolicy("{writ: 1, id: 'a', rules: []}", { format: 'json' })).code,
    ).toBe('POLICY_INVALID')
    expect(
      caught(() =>
        compilePolicy(
          'writ: 1\nid: a\nrules: []\nlimits:\n  - {id: l, actions: [a], per: agent, window: 1h, count: true, max: .inf}\n',
        ),
      ).code,
    ).toBe('POLICY_INVALID')
    expect(caught(() => compilePolicy('writ: 1\nid: a\n1: x\nrules: []\n')).code).toBe(
      'POLICY_INVALID',
    )
    expect(compilePolicy('{"writ":1,"id":"a","rules":[]}', { format: 'json' }).id).toBe('a')
  })

  it('refuses `__proto__` and friends as unknown members', () => {
    expect(
      caught(() =>
        compilePolicy('{"writ":1,"id":"a","rules":[],"__proto__":{"x":1}}', { format: 'json' }),
      ).code,
    ).toBe('POLICY_INVALID')
    expect(caught(() => compilePolicy('writ: 1\nid: a\nrules: []\nconstructor: 1\n')).code).toBe(
      'POLICY_INVALID',
    )
  })

  it.each([
    [
      'a duplicate rule id',
      'id: blocked-destinations',
      'id: small-transfers',
      { path: 'rules[1].id', ruleId: 'small-transfers', line: 11 },
    ],
    [
      'a limit id that is a rule id',
      'id: daily-spend',
      'id: small-transfers',
      { path: 'limits[0].id' },
    ],
    [
      'a CEL syntax error',
      "args.currency in ['USD', 'EUR']",
      'args.currency in [',
      { path: 'rules[0].when', ruleId: 'small-transfers', line: 9 },
    ],
    [
      'a condition that is not boolean',
      "args.to.startsWith('sanctioned_')",
      "'text'",
      { path: 'rules[1].when', ruleId: 'blocked-destinations' },
    ],
    [
      'a sum that is not a number',
      'sum: args.amount',
      'sum: "\'x\'"',
      { path: 'limits[0].sum', ruleId: 'daily-spend' },
    ],
  ])('refuses %s as POLICY_INVALID, at its place', (_, from, to, details) => {
    const error = caught(() => compilePolicy(yamlPolicy.replace(from, to), { source: 'p.yaml' }))
    expect(error.code).toBe('POLICY_INVALID')
    expect(error.details).toMatchObject(details)
  })

  it('reports unknown variables and unsafe patterns as POLICY_UNSAFE', () => {
    const unknown = caught(() =>
      compilePolicy(yamlPolicy.replace('args.amount <= 1000', 'user.amount <= 1000')),
    )
    expect(unknown.code).toBe('POLICY_UNSAFE')
    expect(unknown.details).toMatchObject({ path: 'rules[0].when', ruleId: 'small-transfers' })
    const regex = caught(() =>
      compilePolicy(
        yamlPolicy.replace("args.to.startsWith('sanctioned_')", () => "args.to.matches('^(a+)+$')"),
      ),
    )
    expect(regex.code).toBe('POLICY_UNSAFE')
    expect(regex.details).toMatchObject({ path: 'rules[1].when', ruleId: 'blocked-destinations' })
    const dynamic = caught(() =>
      compilePolicy(
        yamlPolicy.replace("args.to.startsWith('sanctioned_')", 'args.to.matches(args.pattern)'),
      ),
    )
    expect(dynamic.code).toBe('POLICY_UNSAFE')
  })

  it('bounds expression length', () => {
    const long = `args.amount <= 1000${' && true'.repeat(600)}`
    const error = caught(() =>
      compilePolicy(
        yamlPolicy.replace("args.amount <= 1000 && args.currency in ['USD', 'EUR']", long),
      ),
    )
    expect(error.code).toBe('POLICY_INVALID')
    expect(error.details).toMatchObject({ path: 'rules[0].when' })
  })
})

describe('evaluation bounds', () => {
  it('refuses a budget or size cap that is not a positive integer', () => {
    const document = { writ: 1, id: 'x', rules: [] }
    for (const options of [
      { maxEvaluationCost: 0 },
      { maxEvaluationCost: 1.5 },
      { maxIteratedSize: -1 },
      { maxIteratedSize: Number.NaN },
    ]) {
      expect(() => compilePolicy(document, options)).toThrow(
        expect.objectContaining({ code: 'POLICY_INVALID' }),
      )
    }
  })
})
