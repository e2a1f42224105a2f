import {
  approvalClaimsFor,
  compilePolicy,
  createGate,
  generateSigningKey,
  parseApprovers,
  signApproval,
  WritError,
} from '@writ/core'
import { claimsOf } from '@writ/core/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { createGatedFetch } from '../src/index.js'
import { listen, type RunningServer } from './support.js'

const alice = generateSigningKey()
const policy = compilePolicy(`writ: 1
id: http-approvals
rules:
  - id: small
    effect: permit
    actions: [http.post]
    when: args.body.amount <= 1000
  - id: large
    effect: approve
    actions: [http.post]
    when: args.body.amount > 1000
    approvers: finance
`)

let running: RunningServer | undefined
afterEach(async () => {
  await running?.close()
  running = undefined
})

async function setUp() {
  const received: string[] = []
  running = await listen((request, response) => {
    let body = ''
    request.on('data', (chunk: Buffer) => {
      body += chunk.toString()
    })
    request.on('end', () => {
      received.push(body)
      response.end('paid')
    })
  })
  const gate = createGate({
    policy,
    keys: generateSigningKey(),
    issuer: 'https://writ.test',
    approvers: parseApprovers({
      groups: { finance: ['alice'] },
      approvers: [
        { id: 'alice', keys: [{ kty: 'OKP', crv: 'Ed25519', x: alice.x, kid: alice.kid }] },
      ],
    }),
  })
  const url = `${running.origin}/v1/transfers`
  const init = {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ to: 'acme', amount: 20000 }),
  }
  const approveNext = async (verdict: 'approve' | 'reject' = 'approve') => {
    let pending = (await gate.holds.list({ state: 'pending' }))[0]
    for (let attempt = 0; pending === undefined && attempt < 200; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 10))
      pending = (await gate.holds.list({ state: 'pending' }))[0]
    }
    const claims = approvalClaimsFor(claimsOf(pending?.receipt as string), 'alice', verdict)
    await gate.holds.submit(signApproval(claims, alice))
  }
  return { gate, received, url, init, approveNext }
}

describe('gated fetch: holds', () => {
  it('refuses at once with a problem naming the hold, or throws the typed refusal', async () => {
    const { gate, received, url, init } = await setUp()
    const answered = await createGatedFetch(gate)(url, init)
    const problem = (await answered.json()) as {
      status: number
      reason: string
      hold?: { id: string; group: string }
    }
    expect([answered.status, problem.reason, problem.hold?.group]).toEqual([
      403,
      'APPROVAL_REQUIRED',
      'finance',
    ])
    const thrown = await createGatedFetch(gate, { onRefusal: 'throw' })(url, init).then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(WritError.isInstance(thrown) && thrown.code).toBe('ACTION_REFUSED')
    expect(received).toHaveLength(0)
  })

  it('wait mode: sends once approved, exactly the body that was held; a rejection sends nothing', async () => {
    const { gate, received, url, init, approveNext } = await setUp()
    const waiting = createGatedFetch(gate, {
      approval: { mode: 'wait', timeoutMs: 10_000, pollMs: 20 },
    })
    const [response] = await Promise.all([waiting(url, init), approveNext()])
    expect([response.status, await response.text()]).toEqual([200, 'paid'])
    expect(received).toEqual([init.body])
    const other = { ...init, body: JSON.stringify({ to: 'acme', amount: 30000 }) }
    const [refused] = await Promise.all([waiting(url, other), approveNext('reject')])
    expect([refused.status, ((await refused.json()) as { reason: string }).reason]).toEqual([
      403,
      'APPROVAL_REJECTED',
    ])
    expect(received).toHaveLength(1)
  })
})
