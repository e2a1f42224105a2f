import { chmodSync, readFileSync } from 'node:fs'
import { compilePolicy, createGate, generateSigningKey, parseApprovers } from '@writ/core'
import { approvalsPolicyText } from '@writ/core/testing'
import { hashToken, type ListeningAuthority, startAuthorityServer } from '@writ/server'
import { createSqliteStore } from '@writ/store-sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import { useWorkspace } from './helpers.js'

const ws = useWorkspace()
const agentToken = 'agent-token-0123456789abcdef'
const operatorToken = 'operator-token-0123456789abcdef'
const running: ListeningAuthority[] = []

afterEach(async () => {
  for (const server of running.splice(0)) await server.close()
})

/** Two approvers made with `writ approver keygen`, an authority with their public entries. */
async function setUp() {
  const entries = []
  for (const id of ['alice', 'bob']) {
    const made = await ws.writ(
      'approver',
      'keygen',
      '--id',
      id,
      '--name',
      id.toUpperCase(),
      '--out',
      `${id}.json`,
    )
    expect(made.code).toBe(0)
    entries.push(JSON.parse(made.stdout))
    expect(readFileSync(ws.path(`${id}.json`)).length > 0).toBe(true)
  }
  const approvers = parseApprovers({ groups: { finance: ['alice', 'bob'] }, approvers: entries })
  const store = createSqliteStore({ path: ws.path('writ.db') })
  const gate = createGate({
    policy: compilePolicy(approvalsPolicyText()),
    keys: generateSigningKey(),
    issuer: 'https://authority.test',
    store,
    approvers,
  })
  const server = await startAuthorityServer({
    gate,
    agents: [{ agent: 'agent-7', tokenSha256: hashToken(agentToken) }],
    operators: [{ name: 'ops', tokenSha256: hashToken(operatorToken) }],
  })
  running.push(server)
  ws.write('operator.token', operatorToken, 0o600)
  chmodSync(ws.path('operator.token'), 0o600)
  const ask = async (amount: number) =>
    (await (
      await fetch(`${server.url}/v1/decisions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${agentToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          action: 'payments.transfer',
          args: JSON.stringify({ to: 'acme', amount }),
        }),
      })
    ).json()) as { decision: string; reason: string; hold?: { id: string } }
  return { server, ask, store, gate, entries }
}

describe('writ approver keygen, writ approvals list, writ approve', () => {
  it('an approver approves a hold from the command line; the agent then gets one PERMIT', async () => {
    const { server, ask } = await setUp()
    const held = await ask(20000)
    expect([held.decision, held.reason]).toEqual(['SILENCE', 'APPROVAL_REQUIRED'])
    const id = held.hold?.id as string
    const listed = await ws.writ(
      'approvals',
      'list',
      '--server',
      server.url,
      '--token-file',
      'operator.token',
    )
    expect(listed.code).toBe(0)
    expect(listed.stdout).toContain(id)
    expect(listed.stdout).toContain('"amount":20000')
    const approved = await ws.writ(
      'approve',
      id,
      '--key',
      'alice.json',
      '--server',
      server.url,
      '--token-file',
      'operator.token',
      '--note',
      'invoice 42',
    )
    expect([approved.code, approved.stdout]).toEqual([0, expect.stringContaining('now approved')])
    const again = await ws.writ(
      'approve',
      id,
      '--key',
      'bob.json',
      '--server',
      server.url,
      '--token-file',
      'operator.token',
    )
    expect(again.code).toBe(0)
    expect((await ask(20000)).decision).toBe('PERMIT')
    expect((await ask(20000)).decision).toBe('SILENCE')
  })

  it('--reject closes the hold: the action stays refused, later approvals are refused', async () => {
    const { server, ask } = await setUp()
    const id = (await ask(30000)).hold?.id as string
    const rejected = await ws.writ(
      'approve',
      id,
      '--reject',
      '--key',
      'bob.json',
      '--server',
      server.url,
      '--token-file',
      'operator.token',
    )
    expect([rejected.code, rejected.stdout]).toEqual([0, expect.stringContaining('now rejected')])
    const late = await ws.writ(
      'approve',
      id,
      '--key',
      'alice.json',
      '--server',
      server.url,
      '--token-file',
      'operator.token',
    )
    expect(late.code).toBe(1)
    expect(late.stderr).toContain('APPROVAL_REJECTED')
    expect((await ask(30000)).reason).toBe('APPROVAL_REJECTED')
  })

  it('approvals list reads a store directly, for audits', async () => {
    const { ask, store } = await setUp()
    const id = (await ask(40000)).hold?.id as string
    await store.close()
    const listed = await ws.writ('approvals', 'list', '--store', 'writ.db', '--json')
    expect(listed.code).toBe(0)
    const holds = listed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    expect(holds.map((hold: { id: string }) => hold.id)).toEqual([id])
  })

  it('chain verify checks the approvals behind each PERMIT; inspect shows who approved', async () => {
    const { server, ask, store, gate, entries } = await setUp()
    const id = (await ask(25000)).hold?.id as string
    await ws.writ(
      'approve',
      id,
      '--key',
      'alice.json',
      '--server',
      server.url,
      '--token-file',
      'operator.token',
    )
    const permit = (await (
      await fetch(`${server.url}/v1/decisions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${agentToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ action: 'payments.transfer', args: '{"to":"acme","amount":25000}' }),
      })
    ).json()) as { decision: string; receipt: string }
    expect(permit.decision).toBe('PERMIT')
    ws.write('keys.json', JSON.stringify(await gate.keys()))
    ws.write(
      'approvers.json',
      JSON.stringify({ groups: { finance: ['alice', 'bob'] }, approvers: entries }),
    )
    ws.write('narrow.json', JSON.stringify({ groups: { finance: ['bob'] }, approvers: entries }))
    await store.close()
    const checked = await ws.writ(
      'chain',
      'verify',
      '--store',
      'writ.db',
      '--keys',
      'keys.json',
      '--approvers',
      'approvers.json',
    )
    expect(checked.code).toBe(0)
    const unchecked = await ws.writ(
      'chain',
      'verify',
      '--store',
      'writ.db',
      '--keys',
      'keys.json',
      '--json',
    )
    expect([unchecked.code, JSON.parse(unchecked.stdout).chains[0].code]).toEqual([
      1,
      'APPROVALS_UNCHECKED',
    ])
    const narrowed = await ws.writ(
      'chain',
      'verify',
      '--store',
      'writ.db',
      '--keys',
      'keys.json',
      '--approvers',
      'narrow.json',
      '--json',
    )
    expect([narrowed.code, JSON.parse(narrowed.stdout).chains[0].code]).toEqual([
      1,
      'APPROVER_UNKNOWN',
    ])
    const inspected = await ws.writ('inspect', permit.receipt)
    expect(inspected.stdout).toMatch(new RegExp(`approved by\\s+alice \\(hold ${id}\\)`))
  })

  it('refuses a key file others can read, and an approver key that is not one', async () => {
    const { server, ask } = await setUp()
    const id = (await ask(50000)).hold?.id as string
    chmodSync(ws.path('alice.json'), 0o644)
    const unsafe = await ws.writ(
      'approve',
      id,
      '--key',
      'alice.json',
      '--server',
      server.url,
      '--token-file',
      'operator.token',
    )
    expect(unsafe.code).not.toBe(0)
    ws.write('plain.json', JSON.stringify(generateSigningKey()), 0o600)
    const plain = await ws.writ(
      'approve',
      id,
      '--key',
      'plain.json',
      '--server',
      server.url,
      '--token-file',
      'operator.token',
    )
    expect(plain.code).toBe(3)
  })
})
