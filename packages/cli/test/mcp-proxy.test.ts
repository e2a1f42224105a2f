import { describe, expect, it } from 'vitest'
import { perTest } from '../../../test/support/per-test.js'
import { workspace } from './helpers.js'

const ws = perTest(workspace, (value) => value.remove())

const policy = `
writ: 1
id: mcp
rules:
  - id: balance
    effect: permit
    actions: [mcp.bank.balance]
`

async function ready() {
  ws().write('policy.yaml', policy)
  expect((await ws().writ('keygen', '--out', 'key.json')).code).toBe(0)
  return ['mcp', 'proxy', '--policy', 'policy.yaml', '--key', 'key.json', '--name', 'bank']
}

describe('writ mcp proxy: usage', () => {
  it.each([
    ['no upstream', []],
    ['a server name action names cannot carry', ['--name', 'bank.prod', '--', 'node', 'server.js']],
    ['two upstreams', ['--upstream-url', 'http://127.0.0.1:1/mcp', '--', 'node', 'server.js']],
    ['an upstream URL that is not http', ['--upstream-url', 'file:///etc/passwd']],
    ['a --listen without a port', ['--listen', '127.0.0.1', '--', 'node', 'server.js']],
    ['a port out of range', ['--listen', '127.0.0.1:70000', '--', 'node', 'server.js']],
    ['--pins-locked without --pins', ['--pins-locked', '--', 'node', 'server.js']],
    ['an action map that is not a table', ['--action-map', '["x"]', '--', 'node', 'server.js']],
  ])('refuses %s (USAGE, exit 2) before starting anything', async (_name, flags) => {
    const result = await ws().writ(...(await ready()), ...flags)
    expect(result.code).toBe(2)
    expect(result.stderr).toContain('USAGE')
  })

  it('lists every flag in its help', async () => {
    const result = await ws().writ('help', 'mcp', 'proxy')
    expect(result.code).toBe(0)
    expect(result.stdout).toContain('TOOL_DEFINITION_CHANGED')
  })
})
