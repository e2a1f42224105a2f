import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { lintPolicy } from '../src/policy-lint/lint.js'
import { readToolCatalogue } from '../src/policy-lint/tools.js'
import { workspace } from './helpers.js'

const root = fileURLToPath(new URL('../../..', import.meta.url))

const catalogue = readToolCatalogue(
  {
    'payments.transfer': {
      type: 'object',
      properties: {
        to: { type: 'string' },
        amount: { type: 'number' },
        memo: { type: 'string' },
      },
      required: ['to', 'amount'],
      additionalProperties: false,
    },
    'files.read': {
      type: 'object',
      properties: { path: { type: 'string' } },
      required: ['path'],
    },
  },
  'tools.json',
)

const policy = (rules: string, extra = '') => `writ: 1
id: lint
rules:
${rules}${extra}`

function codes(text: string, tools = catalogue) {
  return lintPolicy(text, 'p.yaml', tools)
    .filter((found) => found.suppressed === undefined)
    .map((found) => `${found.code}@${found.line}:${found.column}`)
}

describe('writ policy lint findings, one by one', () => {
  it('WL101: a field the tool does not have, located in the condition', () => {
    const text = policy(`  - id: r
    effect: permit
    actions: [payments.transfer]
    when: args.to == 'acme' && args.amont > 0 && args.amount > 0
`)
    expect(codes(text)).toEqual(['WL101@7:32'])
  })

  it('WL102: a string field compared with a number, a string method on a number', () => {
    const text = policy(`  - id: r
    effect: deny
    actions: [payments.transfer]
    when: args.to == 5 || args.amount.startsWith('1')
`)
    expect(codes(text)).toEqual(['WL102@7:11', 'WL102@7:27'])
  })

  it('WL103: an optional field read without has(), not once guarded', () => {
    const unguarded = policy(`  - id: r
    effect: deny
    actions: [payments.transfer]
    when: args.memo.contains('urgent')
`)
    expect(codes(unguarded)).toEqual(['WL103@7:11'])
    const guarded = policy(`  - id: r
    effect: deny
    actions: [payments.transfer]
    when: has(args.memo) && args.memo.contains('urgent')
`)
    expect(codes(guarded)).toEqual([])
  })

  it('WL201: a permit capping a possibly negative amount from above only', () => {
    const capped = policy(`  - id: r
    effect: permit
    actions: [payments.transfer]
    when: args.amount <= 1000
`)
    expect(codes(capped)).toEqual(['WL201@7:11'])
    const bounded = policy(`  - id: r
    effect: permit
    actions: [payments.transfer]
    when: "args.amount <= 1000 && 0 < args.amount"
`)
    expect(codes(bounded)).toEqual([])
  })

  it('WL301: an action pattern no tool matches (only with a catalogue)', () => {
    const text = policy(`  - id: r
    effect: deny
    actions: [payments.refund]
`)
    expect(codes(text)).toEqual(['WL301@6:14'])
    expect(lintPolicy(text, 'p.yaml')).toEqual([])
  })

  it('WL302: a permit an unconditional broader deny always overrides', () => {
    const text = policy(`  - id: read-files
    effect: permit
    actions: [files.read]
  - id: no-files
    effect: deny
    actions: ['files.**']
`)
    expect(codes(text)).toEqual(['WL302@6:14'])
  })

  it('WL303: a permit on **', () => {
    const text = policy(`  - id: everything
    effect: permit
    actions: ['**']
`)
    expect(codes(text)).toEqual(['WL303@6:14'])
  })

  it('WL401: a limit no permit rule covers', () => {
    const text = policy(
      `  - id: r
    effect: permit
    actions: [files.read]
`,
      `limits:
  - id: spend
    actions: [payments.transfer]
    per: agent
    window: 24h
    count: true
    max: 3
`,
    )
    expect(codes(text)).toEqual(['WL401@9:14'])
  })

  it('WL001 and WL002: an invalid policy, a failing self-test', () => {
    expect(codes('writ: 1\nid: x\nrules: 5\n')[0]).toMatch(/^WL001@3:/)
    const failing = policy(
      `  - id: r
    effect: deny
    actions: [files.read]
`,
      `tests:
  - name: reading is permitted
    action: files.read
    args: { path: a }
    expect: { decision: PERMIT }
`,
    )
    expect(codes(failing).map((code) => code.split('@')[0])).toEqual(['WL002'])
  })

  it('a suppression with a reason silences its code in its rule only; one without is WL901', () => {
    const text = policy(`  # writ-lint-ignore WL303: the sandbox tenant allows every tool on purpose
  - id: everything
    effect: permit
    actions: ['**']
  - id: everything-else
    effect: approve
    approvers: ops
    actions: ['**']
`)
    const findings = lintPolicy(text, 'p.yaml', undefined)
    expect(
      findings.map((found) => [found.rule, found.code, found.suppressed !== undefined]),
    ).toEqual([
      ['everything', 'WL303', true],
      ['everything-else', 'WL303', false],
    ])
    const noReason = policy(`  # writ-lint-ignore WL303
  - id: everything
    effect: permit
    actions: ['**']
`)
    expect(
      lintPolicy(noReason, 'p.yaml').map((found) => `${found.code}@${found.line}:${found.column}`),
    ).toEqual(['WL303@7:14', 'WL901@4:1'])
  })

  it('reads OpenAI function definitions and an MCP tools/list result', () => {
    const schema = { type: 'object', properties: { path: { type: 'string' } } }
    const openai = readToolCatalogue(
      [{ type: 'function', function: { name: 'files.read', parameters: schema } }],
      'o.json',
    )
    const mcp = readToolCatalogue(
      { jsonrpc: '2.0', id: 1, result: { tools: [{ name: 'files.read', inputSchema: schema }] } },
      'm.json',
    )
    expect([...openai.keys()]).toEqual(['files.read'])
    expect(mcp.get('files.read')).toEqual(schema)
  })
})

describe('every policy in the repository lints clean', () => {
  const files = [
    ...readdirSync(join(root, 'examples'), { recursive: true, encoding: 'utf8' })
      .filter((file) => /policy\.(ya?ml|json)$/.test(file) && !file.includes('node_modules'))
      .map((file) => join('examples', file)),
    ...readdirSync(join(root, 'apps/demo'))
      .filter((file) => /policy\.ya?ml$/.test(file))
      .map((file) => join('apps/demo', file)),
  ]

  it('finds the policies', () => {
    expect(files.length).toBeGreaterThanOrEqual(4)
  })

  it.each(files)('%s', (file) => {
    const findings = lintPolicy(readFileSync(join(root, file), 'utf8'), file)
    expect(findings.filter((found) => found.suppressed === undefined)).toEqual([])
  })
})

describe('writ policy lint (the command)', () => {
  it('exits 1 on an error, 0 on warnings only, 3 on an invalid tools file; --json lists findings', async () => {
    const ws = workspace()
    try {
      ws.write(
        'tools.json',
        JSON.stringify({
          'files.read': { type: 'object', properties: { path: { type: 'string' } } },
        }),
      )
      ws.write('bad.yaml', policy(`  - id: everything\n    effect: permit\n    actions: ['**']\n`))
      const bad = await ws.writ('policy', 'lint', 'bad.yaml')
      expect(bad.code).toBe(1)
      expect(bad.stdout).toMatch(/^bad\.yaml:6:14: error WL303 permit-everything \[everything\]: /m)
      ws.write(
        'warn.yaml',
        policy(
          `  - id: r\n    effect: deny\n    actions: [files.read]\n    when: args.path.startsWith('/etc')\n`,
        ),
      )
      const warned = await ws.writ('policy', 'lint', 'warn.yaml', '--tools', 'tools.json', '--json')
      expect(warned.code).toBe(0)
      expect(JSON.parse(warned.stdout)).toMatchObject({
        errors: 0,
        warnings: 1,
        findings: [{ code: 'WL103' }],
      })
      ws.write('broken.json', '{"tools": 5')
      const broken = await ws.writ('policy', 'lint', 'warn.yaml', '--tools', 'broken.json')
      expect(broken.code).toBe(3)
      expect(broken.stderr).toMatch(/^writ: TOOLS_INVALID: /)
    } finally {
      ws.remove()
    }
  })
})
