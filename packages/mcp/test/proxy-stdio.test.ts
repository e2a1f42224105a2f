import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { definitionDigest } from '../src/index.js'
import {
  hostOverStdio,
  receiptClaimsOf,
  refusalOf,
  textOf,
  type Workspace,
  workspace,
} from './support.js'

/** One workspace and one proxy for a describe block; each test reads the calls it added. */
function shared(options: Parameters<typeof hostOverStdio>[1] = {}) {
  const state: { space?: Workspace; host?: Client } = {}
  beforeAll(async () => {
    state.space = workspace()
    state.host = await hostOverStdio(state.space, options)
  })
  afterAll(async () => {
    await state.host?.close()
    state.space?.remove()
  })
  return { space: () => state.space!, host: () => state.host! }
}

describe('writ mcp proxy over stdio, in front of a stdio server', () => {
  const { space, host } = shared()

  it('lists only the tools some rule could permit', async () => {
    const names = (await host().listTools()).tools.map((tool) => tool.name).sort()
    expect(names).toEqual(['balance', 'transfer'])
  })

  it('forwards a permitted call once, with the permitted arguments, and returns its receipt', async () => {
    const before = space().calls().length
    const transfer = (await host().listTools()).tools.find((tool) => tool.name === 'transfer')!
    const result = await host().callTool({
      name: 'transfer',
      arguments: { to: 'alice', amount: 250.0 },
    })
    expect(result.isError).not.toBe(true)
    expect(textOf(result as never)).toBe('sent 250 to alice')
    const claims = await receiptClaimsOf(result as never, space().keys())
    expect(claims.decision).toBe('PERMIT')
    expect(claims.act.name).toBe('mcp.bank.transfer')
    expect(claims.refs).toEqual({ 'mcp.tool': definitionDigest(transfer) })
    const calls = space().calls().slice(before)
    expect(calls).toHaveLength(1)
    expect(calls[0]!.args).toEqual({ to: 'alice', amount: 250 })
    // The upstream got the same receipt, to check it itself if it wants.
    expect(calls[0]!.meta?.['dev.writ/receipt']).toBe(result._meta?.['dev.writ/receipt'])
  })

  it.each([
    ['DENY', 'transfer', { to: 'mallory', amount: 10 }, 'SANCTIONED_PAYEE'],
    ['SILENCE', 'transfer', { to: 'bob', amount: 5000 }, 'CONDITION_FALSE'],
    ['DENY', 'close_account', { account: 'main' }, 'RULE_DENY'],
    ['SILENCE', 'weather', {}, 'CONDITION_FALSE'],
  ])(
    'answers a %s for %s with a readable refusal and a receipt, and never forwards it',
    async (decision, name, args, reason) => {
      const before = space().calls().length
      const result = await host().callTool({ name, arguments: args })
      const refusal = refusalOf(result as never)
      expect(refusal).toMatchObject({ writ: 'refused', decision, reason })
      const claims = await receiptClaimsOf(result as never, space().keys())
      expect(claims.decision).toBe(decision)
      expect(refusal['receipt_id']).toBe(claims.jti)
      expect(space().calls().length).toBe(before)
    },
  )

  it.each([
    'transfer ',
    'Transfer',
    'tr\u0430nsfer',
    'transfer\u200b',
    '__proto__',
    'constructor',
    'toString',
  ])('refuses the lookalike tool name %j without forwarding it', async (name) => {
    const before = space().calls().length
    const result = await host().callTool({ name, arguments: { to: 'alice', amount: 1 } })
    expect(refusalOf(result as never)).toMatchObject({ decision: 'ERROR', reason: 'TOOL_UNKNOWN' })
    expect(space().calls().length).toBe(before)
  })
})

describe('writ mcp proxy --show-all-tools', () => {
  const { host } = shared({ flags: ['--show-all-tools'] })

  it('lists every tool, and still decides each call', async () => {
    const names = (await host().listTools()).tools.map((tool) => tool.name).sort()
    expect(names).toEqual(['balance', 'close_account', 'transfer', 'weather'])
    const result = await host().callTool({ name: 'close_account', arguments: { account: 'main' } })
    expect(refusalOf(result as never)).toMatchObject({ decision: 'DENY' })
  })
})

describe('writ mcp proxy in front of a server that changes a tool after approval', () => {
  const { space, host } = shared({ env: { RUG_PULL: '1' } })

  it('refuses the changed tool (TOOL_DEFINITION_CHANGED) and hides it', async () => {
    await host().listTools()
    const first = await host().callTool({ name: 'transfer', arguments: { to: 'alice', amount: 5 } })
    expect(first.isError).not.toBe(true)
    // The server has now rewritten the tool's description.
    expect((await host().listTools()).tools.map((tool) => tool.name)).toEqual(['balance'])
    const second = await host().callTool({
      name: 'transfer',
      arguments: { to: 'alice', amount: 5 },
    })
    expect(refusalOf(second as never)).toMatchObject({ reason: 'TOOL_DEFINITION_CHANGED' })
    expect(space().calls()).toHaveLength(1)
  })
})
