// A request's refs travel from the remote gate through `writ serve` into the receipt,
// and malformed refs are refused as input there too.
import {
  compilePolicy,
  createGate,
  createMemoryStore,
  createRemoteGate,
  generateSigningKey,
} from '@writ/core'
import { afterEach, describe, expect, it } from 'vitest'
import { hashToken, type ListeningAuthority, startAuthorityServer } from '../src/index.js'

const token = 'refs-token-0123456789abcdef'
const digest = `sha256:${'ef'.repeat(32)}` as const
const running: ListeningAuthority[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()))
})

async function remote() {
  const server = await startAuthorityServer({
    gate: createGate({
      policy: compilePolicy(`
writ: 1
id: refs
rules:
  - id: tools
    effect: permit
    actions: [mcp.bank.transfer]
`),
      keys: generateSigningKey(),
      issuer: 'https://authority.test',
      store: createMemoryStore(),
    }),
    agents: [{ agent: 'agent:mcp', tokenSha256: hashToken(token) }],
  })
  running.push(server)
  return createRemoteGate({ url: server.url, token })
}

describe('refs through the authority service', () => {
  it('signs the refs the remote gate sends into the PERMIT', async () => {
    const gate = await remote()
    const decision = await gate.authorize({
      action: 'mcp.bank.transfer',
      args: { to: 'alice' },
      refs: { 'mcp.tool': digest },
    })
    expect(decision.decision).toBe('PERMIT')
    expect(decision.claims.refs).toEqual({ 'mcp.tool': digest })
  })

  it('refuses malformed refs as input (DENY INPUT_INVALID)', async () => {
    const gate = await remote()
    const decision = await gate.authorize({
      action: 'mcp.bank.transfer',
      args: { to: 'alice' },
      refs: { 'mcp tool': digest },
    })
    expect([decision.decision, decision.reason]).toEqual(['DENY', 'INPUT_INVALID'])
  })
})
