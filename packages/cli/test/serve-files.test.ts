/**
 * `writ serve` refuses the files that decide who may do what (policy, agents file,
 * signing key) when someone besides their owner could rewrite them, and refuses an
 * agents file it does not fully understand. Real files, real modes.
 */
import { chmodSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { PAYMENTS_POLICY, type Workspace, workspace } from './helpers.js'

const posix = process.platform !== 'win32'
const HASH_A = 'a'.repeat(64)
const HASH_B = 'b'.repeat(64)

let ws: Workspace
beforeEach(async () => {
  ws = workspace()
  ws.write('policy.yaml', PAYMENTS_POLICY, 0o644)
  await ws.writ('keygen', '--out', 'signing.jwk')
  ws.write(
    'agents.json',
    JSON.stringify({ agents: [{ agent: 'agent:bot', tokenSha256: HASH_A }] }),
    0o644,
  )
})
afterEach(() => ws.remove())

/** Runs serve without a store: a run that gets past every file check stops at USAGE (exit 2). */
function serve(files: { policy?: string; key?: string; agents?: string } = {}) {
  return ws.writ(
    'serve',
    '--policy',
    files.policy ?? 'policy.yaml',
    '--key',
    files.key ?? 'signing.jwk',
    '--agents',
    files.agents ?? 'agents.json',
  )
}

describe.runIf(posix)('writ serve: file permissions', () => {
  it('accepts files writable by their owner only', async () => {
    const result = await serve()
    expect(result.stderr).toMatch(/^writ: USAGE: /)
    expect(result.code).toBe(2)
  })

  it.each([
    ['policy.yaml', '0666'],
    ['policy.yaml', '0664'],
    ['agents.json', '0646'],
    ['agents.json', '0620'],
    ['signing.jwk', '0620'],
  ])('refuses %s with mode %s: FILE_UNSAFE, exit 3', async (name, mode) => {
    chmodSync(ws.path(name), Number.parseInt(mode, 8))
    const result = await serve()
    expect(result.stderr).toMatch(/^writ: FILE_UNSAFE: /)
    expect(result.code).toBe(3)
  })

  it('refuses files in a directory anyone may write, unless it has the sticky bit', async () => {
    const open = ws.path('open')
    mkdirSync(open)
    const agents = join(open, 'agents.json')
    ws.write(
      'open/agents.json',
      JSON.stringify({ agents: [{ agent: 'agent:bot', tokenSha256: HASH_A }] }),
      0o644,
    )
    chmodSync(open, 0o777)
    const refused = await serve({ agents })
    expect(refused.stderr).toMatch(/^writ: FILE_UNSAFE: /)
    expect(refused.code).toBe(3)
    chmodSync(open, 0o1777)
    const sticky = await serve({ agents })
    expect(sticky.stderr).toMatch(/^writ: USAGE: /)
    chmodSync(open, 0o755)
  })
})

describe('writ serve: the agents file', () => {
  it('accepts audiences and operators', async () => {
    ws.write(
      'agents.json',
      JSON.stringify({
        agents: [{ agent: 'agent:bot', tokenSha256: HASH_A, audiences: ['https://bank.internal'] }],
        operators: [{ name: 'ops', tokenSha256: HASH_B }],
      }),
      0o644,
    )
    const result = await serve()
    expect(result.stderr).toMatch(/^writ: USAGE: /)
  })

  it.each([
    [
      'a misspelled member',
      { agents: [{ agent: 'agent:bot', tokenSha256: HASH_A, audience: 'x' }] },
    ],
    [
      'audiences that are not strings',
      { agents: [{ agent: 'a', tokenSha256: HASH_A, audiences: [1] }] },
    ],
    ['an empty audiences list', { agents: [{ agent: 'a', tokenSha256: HASH_A, audiences: [] }] }],
    [
      'one token for an agent and an operator',
      {
        agents: [{ agent: 'a', tokenSha256: HASH_A }],
        operators: [{ name: 'ops', tokenSha256: HASH_A }],
      },
    ],
    [
      'an operator without a name',
      { agents: [{ agent: 'a', tokenSha256: HASH_A }], operators: [{ tokenSha256: HASH_B }] },
    ],
    ['an unknown top-level member', { agents: [{ agent: 'a', tokenSha256: HASH_A }], admins: [] }],
    [
      'a session key shorter than 32 bytes',
      { agents: [{ agent: 'a', tokenSha256: HASH_A, sessionKey: 'A'.repeat(42) }] },
    ],
    [
      'a session key in padded base64',
      { agents: [{ agent: 'a', tokenSha256: HASH_A, sessionKey: `${'A'.repeat(43)}=` }] },
    ],
  ])('refuses %s: IO_ERROR, exit 3', async (_, document) => {
    ws.write('agents.json', JSON.stringify(document), 0o644)
    const result = await serve()
    expect(result.stderr).toMatch(/^writ: IO_ERROR: /)
    expect(result.code).toBe(3)
  })

  it('writ token new --session-key makes a session key the agents file accepts', async () => {
    const result = await ws.writ('token', 'new', '--agent', 'agent:bot', '--session-key')
    expect(result.code).toBe(0)
    const line = JSON.parse(result.stdout) as Record<string, string>
    expect(line['sessionKey']).toMatch(/^[A-Za-z0-9_-]{43}$/)
    ws.write(
      'agents.json',
      JSON.stringify({
        agents: [
          { agent: 'agent:bot', tokenSha256: line['tokenSha256'], sessionKey: line['sessionKey'] },
        ],
      }),
      0o644,
    )
    expect((await serve()).stderr).toMatch(/^writ: USAGE: /)
    const operator = await ws.writ('token', 'new', '--operator', 'ops', '--session-key')
    expect(operator.code).toBe(2)
  })

  it('writ token new makes operator tokens too', async () => {
    const result = await ws.writ('token', 'new', '--operator', 'ops')
    expect(result.code).toBe(0)
    const line = JSON.parse(result.stdout) as Record<string, string>
    expect(line['operator']).toBe('ops')
    expect(line['tokenSha256']).toMatch(/^[0-9a-f]{64}$/)
    expect((await ws.writ('token', 'new')).code).toBe(2)
  })
})
