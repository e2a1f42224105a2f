import { createRemoteGate, refusalPayload } from '@writ/core'
import { createApprovalsFixture } from '@writ/core/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { hashToken, type ListeningAuthority, startAuthorityServer } from '../src/index.js'

const agentToken = 'agent-token-0123456789abcdef'
const otherToken = 'other-token-0123456789abcdef'
const operatorToken = 'operator-token-0123456789abcdef'
const running: ListeningAuthority[] = []

afterEach(async () => {
  for (const server of running.splice(0)) await server.close()
})

async function start() {
  const fixture = createApprovalsFixture()
  const server = await startAuthorityServer({
    gate: fixture.gate,
    agents: [
      { agent: 'agent-7', tokenSha256: hashToken(agentToken) },
      { agent: 'agent-8', tokenSha256: hashToken(otherToken) },
    ],
    operators: [{ name: 'ops', tokenSha256: hashToken(operatorToken) }],
  })
  running.push(server)
  const call = (path: string, token?: string, body?: unknown) =>
    fetch(`${server.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: {
        ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
  return { fixture, server, call }
}

const large = { action: 'payments.transfer', args: '{"to":"acme","amount":20000}' }

describe('hold routes', () => {
  it('a held decision names its hold; an approval posted to it unlocks one PERMIT', async () => {
    const { fixture, call } = await start()
    const held = (await (await call('/v1/decisions', agentToken, large)).json()) as {
      decision: string
      reason: string
      receipt: string
      hold: { id: string; group: string }
    }
    expect([held.decision, held.reason, held.hold.group]).toEqual([
      'SILENCE',
      'APPROVAL_REQUIRED',
      'finance',
    ])
    const approval = fixture.approve(held.receipt, 'alice')
    const posted = await call(`/v1/holds/${held.hold.id}/approvals`, undefined, { approval })
    expect(posted.status).toBe(200)
    expect(((await posted.json()) as { state: string }).state).toBe('approved')
    const replay = await call(`/v1/holds/${held.hold.id}/approvals`, undefined, { approval })
    expect([replay.status, ((await replay.json()) as { code: string }).code]).toEqual([
      409,
      'APPROVAL_USED',
    ])
    const permit = (await (await call('/v1/decisions', agentToken, large)).json()) as {
      decision: string
    }
    expect(permit.decision).toBe('PERMIT')
    const again = (await (await call('/v1/decisions', agentToken, large)).json()) as {
      decision: string
    }
    expect(again.decision).toBe('SILENCE')
  })

  it('refuses bad approvals with their codes, and records nothing', async () => {
    const { fixture, call } = await start()
    const held = (await (await call('/v1/decisions', agentToken, large)).json()) as {
      receipt: string
      hold: { id: string }
    }
    const post = async (id: string, approval: unknown) => {
      const response = await call(`/v1/holds/${id}/approvals`, undefined, { approval })
      return [response.status, ((await response.json()) as { code: string }).code]
    }
    expect(await post(held.hold.id, fixture.approve(held.receipt, 'agent-7'))).toEqual([
      422,
      'APPROVER_IS_AGENT',
    ])
    expect(await post(held.hold.id, fixture.approve(held.receipt, 'mallory'))).toEqual([
      422,
      'APPROVER_UNKNOWN',
    ])
    expect(await post('someone-else', fixture.approve(held.receipt, 'alice'))).toEqual([
      422,
      'APPROVAL_MISMATCH',
    ])
    expect(await post(held.hold.id, 42)).toEqual([400, 'INPUT_SYNTAX'])
    expect(await post(held.hold.id, 'not.a.jws')).toEqual([422, 'MALFORMED'])
    const view = (await (await call(`/v1/holds/${held.hold.id}`, operatorToken)).json()) as {
      state: string
      approvals: unknown[]
    }
    expect([view.state, view.approvals]).toEqual(['pending', []])
  })

  it('lists holds for operators, shows a hold to its own agent only, and publishes approvers', async () => {
    const { call } = await start()
    const held = (await (await call('/v1/decisions', agentToken, large)).json()) as {
      hold: { id: string }
    }
    expect((await call('/v1/holds', agentToken)).status).toBe(403)
    const listed = (await (await call('/v1/holds?state=pending', operatorToken)).json()) as {
      holds: { id: string; args: unknown }[]
    }
    expect(listed.holds.map((hold) => hold.id)).toEqual([held.hold.id])
    expect(listed.holds[0]?.args).toEqual({ to: 'acme', amount: 20000 })
    expect((await call(`/v1/holds/${held.hold.id}`, agentToken)).status).toBe(200)
    expect((await call(`/v1/holds/${held.hold.id}`, otherToken)).status).toBe(404)
    expect((await call(`/v1/holds/${held.hold.id}`)).status).toBe(401)
    const published = (await (await call('/.well-known/writ/approvers.json')).json()) as {
      groups: Record<string, string[]>
      approvers: { id: string; keys: { d?: string }[] }[]
    }
    expect(published.groups['finance']).toContain('alice')
    expect(
      published.approvers.every((entry) => entry.keys.every((key) => key.d === undefined)),
    ).toBe(true)
  })
})

describe('the remote gate and holds', () => {
  const request = { action: 'payments.transfer', args: { to: 'acme', amount: 20000 } }

  it('return mode: a held call refuses at once with the hold, and runs once approved', async () => {
    const { fixture, server } = await start()
    const gate = createRemoteGate({ url: server.url, token: agentToken })
    let runs = 0
    const pay = () => {
      runs += 1
      return 'paid'
    }
    let refused: unknown
    try {
      await gate.guard(request, pay)
    } catch (error) {
      refused = error
    }
    const payload = refusalPayload(refused)
    expect([runs, payload.reason]).toEqual([0, 'APPROVAL_REQUIRED'])
    expect(payload.message).toContain(`for approval by finance, id ${payload.hold?.id}`)
    const view = await gate.holds?.get(payload.hold?.id as string)
    expect(view?.state).toBe('pending')
    await fixture.gate.holds.submit(fixture.approve(view?.receipt as string, 'alice'))
    expect(await gate.guard(request, pay)).toBe('paid')
    expect(runs).toBe(1)
  })

  it('wait mode: waits for the approval, then runs on the PERMIT; a rejection refuses', async () => {
    const { fixture, server } = await start()
    const gate = createRemoteGate({ url: server.url, token: agentToken })
    const waiting = gate.guard(request, () => 'paid', {
      approval: { mode: 'wait', timeoutMs: 10_000, pollMs: 25 },
    })
    let pending = (await fixture.gate.holds.list({ state: 'pending' }))[0]
    for (let attempt = 0; pending === undefined && attempt < 200; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 10))
      pending = (await fixture.gate.holds.list({ state: 'pending' }))[0]
    }
    await fixture.gate.holds.submit(fixture.approve(pending?.receipt as string, 'bob'))
    expect(await waiting).toBe('paid')

    const other = { action: 'payments.transfer', args: { to: 'acme', amount: 30000 } }
    let runs = 0
    const rejected = gate.guard(
      other,
      () => {
        runs += 1
      },
      { approval: { mode: 'wait', timeoutMs: 10_000, pollMs: 25 } },
    )
    let hold = (await fixture.gate.holds.list({ state: 'pending' }))[0]
    for (let attempt = 0; hold === undefined && attempt < 200; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 10))
      hold = (await fixture.gate.holds.list({ state: 'pending' }))[0]
    }
    await fixture.gate.holds.submit(fixture.approve(hold?.receipt as string, 'carol', 'reject'))
    const error = await rejected.then(
      () => undefined,
      (caught: unknown) => caught,
    )
    expect([runs, refusalPayload(error).reason]).toEqual([0, 'APPROVAL_REJECTED'])
  })
})
