import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  compilePolicy,
  createGate,
  createRemoteGate,
  generateSigningKey,
  refusalOf,
} from '@writ/core'
import { createSqliteStore } from '@writ/store-sqlite'
import { createKeySet, verifyChain, verifyPermit, verifyReceipt, WritError } from '@writ/verify'
import { afterEach, describe, expect, it } from 'vitest'
import { hashToken, type ListeningAuthority, startAuthorityServer } from '../src/index.js'

const policyText = `
writ: 1
id: server-test
rules:
  - id: small-transfers
    effect: permit
    actions: [payments.transfer]
    when: args.amount <= 1000
  - id: operators-export
    effect: permit
    actions: [exports.run]
    when: has(context.role) && context.role == 'operator'
  - id: bots-cannot-export
    effect: deny
    actions: [exports.*]
    when: agent == 'agent:bot'
    reason: AGENT_NOT_ALLOWED
`
const botToken = 'bot-token-0123456789abcdef'
const opsToken = 'ops-token-0123456789abcdef'
const operatorToken = 'operator-token-0123456789abcdef'

const running: ListeningAuthority[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()))
})

async function start(
  overrides: { policyFile?: string; storeDelayMs?: number; acceptAgentContext?: boolean } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'writ-server-'))
  const store = createSqliteStore({ path: join(dir, 'authority.db') })
  const slowStore =
    overrides.storeDelayMs === undefined
      ? store
      : new Proxy(store, {
          get(target, property, receiver) {
            const value = Reflect.get(target, property, receiver)
            if (property !== 'append') return value
            return async (...args: Parameters<typeof store.append>) => {
              await new Promise((resolve) => setTimeout(resolve, overrides.storeDelayMs))
              return store.append(...args)
            }
          },
        })
  const gate = createGate({
    policy: compilePolicy(policyText, { source: 'policy.yaml' }),
    keys: generateSigningKey(),
    issuer: 'https://authority.test',
    store: slowStore,
    chainId: 'instance-a',
  })
  const server = await startAuthorityServer({
    gate,
    agents: [
      { agent: 'agent:bot', tokenSha256: hashToken(botToken) },
      { agent: 'agent:ops', tokenSha256: hashToken(opsToken), context: { role: 'operator' } },
    ],
    operators: [{ name: 'ops', tokenSha256: hashToken(operatorToken) }],
    ...(overrides.acceptAgentContext === undefined
      ? {}
      : { acceptAgentContext: overrides.acceptAgentContext }),
    ...(overrides.policyFile === undefined ? {} : { policyFile: overrides.policyFile }),
  })
  running.push(server)
  return { server, gate, store }
}

describe('authority server', () => {
  it('decides for an authenticated agent, whose identity comes from the token only', async () => {
    const { server } = await start()
    const response = await fetch(`${server.url}/v1/decisions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${botToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'payments.transfer', args: '{"amount":10}' }),
    })
    expect(response.status).toBe(200)
    const body = (await response.json()) as { decision: string; receipt: string }
    expect(body.decision).toBe('PERMIT')
    const keys = createKeySet(
      (await (await fetch(`${server.url}/.well-known/writ/keys.json`)).json()) as never,
    )
    const verified = await verifyReceipt(body.receipt, keys)
    expect(verified.claims.sub).toBe('agent:bot')

    const spoof = await fetch(`${server.url}/v1/decisions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${botToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'exports.run', args: '{}', agent: 'agent:ops' }),
    })
    expect(spoof.status).toBe(400)
  })

  it('refuses a missing or wrong token with UNAUTHENTICATED', async () => {
    const { server } = await start()
    for (const authorization of [undefined, 'Bearer wrong-token-0123456789', `Basic ${botToken}`]) {
      const response = await fetch(`${server.url}/v1/decisions`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(authorization ? { authorization } : {}),
        },
        body: JSON.stringify({ action: 'payments.transfer', args: '{"amount":1}' }),
      })
      expect(response.status).toBe(401)
      expect(((await response.json()) as { code: string }).code).toBe('UNAUTHENTICATED')
    }
    const remote = createRemoteGate({ url: server.url, token: 'wrong-token-0123456789' })
    const failure = await remote
      .authorize({ action: 'payments.transfer', args: { amount: 1 } })
      .catch((error: unknown) => error)
    expect(WritError.isInstance(failure) && failure.code).toBe('UNAUTHENTICATED')
  })

  it('serves the remote gate: guard runs on PERMIT only, with the bound arguments', async () => {
    const { server } = await start()
    const keys = (await (await fetch(`${server.url}/.well-known/writ/keys.json`)).json()) as never
    const remote = createRemoteGate({ url: server.url, token: botToken, keys })
    const ran: unknown[] = []
    await remote.guard({ action: 'payments.transfer', args: { amount: 250, to: 'acme' } }, (args) =>
      ran.push(args),
    )
    expect(ran).toEqual([{ amount: 250, to: 'acme' }])
    const refused = await remote
      .guard({ action: 'exports.run', args: {} }, () => ran.push('export'))
      .catch((error: unknown) => error)
    expect(refusalOf(refused)?.reason).toBe('AGENT_NOT_ALLOWED')
    const duplicate = await remote.authorize({
      action: 'payments.transfer',
      args: '{"amount":1,"amount":5000}',
    })
    expect(duplicate.decision).toBe('DENY')
    expect(duplicate.reason).toBe('INPUT_INVALID')
    expect(ran).toHaveLength(1)
  })

  it('refuses when the authority answers after the deadline, and never executes', async () => {
    const { server } = await start({ storeDelayMs: 800 })
    const remote = createRemoteGate({ url: server.url, token: botToken, timeoutMs: 200 })
    let ran = 0
    const failure = await remote
      .guard({ action: 'payments.transfer', args: { amount: 1 } }, () => ran++)
      .catch((error: unknown) => error)
    expect(ran).toBe(0)
    expect(WritError.isInstance(failure) && failure.code).toBe('GATE_TIMEOUT')
  })

  it('refuses a PERMIT signed by a key the client does not trust', async () => {
    const { server } = await start()
    const stranger = createGate({
      policy: compilePolicy(policyText),
      keys: generateSigningKey(),
      issuer: 'x',
    })
    const remote = createRemoteGate({
      url: server.url,
      token: botToken,
      keys: await stranger.keys(),
    })
    const failure = await remote
      .authorize({ action: 'payments.transfer', args: { amount: 1 } })
      .catch((error: unknown) => error)
    expect(WritError.isInstance(failure) && failure.code).toBe('AUTHORITY_RESPONSE_INVALID')
  })

  it('keeps serving the last valid policy when a reload reads a broken file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'writ-reload-'))
    const file = join(dir, 'policy.yaml')
    writeFileSync(file, policyText)
    const { server, gate } = await start({ policyFile: file })
    const digest = gate.policy.digest
    writeFileSync(file, 'writ: 1\nid: broken\nrules:\n  - id: x\n    effect: maybe\n')
    const result = await server.reloadPolicy()
    expect(result.ok).toBe(false)
    if (result.status === 'failed') expect(result.error.code).toBe('POLICY_INVALID')
    expect(gate.policy.digest).toBe(digest)
    writeFileSync(file, policyText.replace('<= 1000', '<= 10'))
    const reloaded = await server.reloadPolicy()
    expect(reloaded.ok).toBe(true)
    expect(gate.policy.digest).not.toBe(digest)
    const metrics = await (
      await fetch(`${server.url}/metrics`, {
        headers: { authorization: `Bearer ${operatorToken}` },
      })
    ).text()
    expect(metrics).toContain('writ_policy_reloads_total{result="kept-previous"} 1')
  })

  it('publishes checkpoints, receipts by id and request, health and metrics', async () => {
    const { server, gate } = await start()
    const remote = createRemoteGate({ url: server.url, token: opsToken })
    const decisions = []
    for (let index = 0; index < 3; index++) {
      decisions.push(
        await remote.authorize({
          action: 'payments.transfer',
          args: { amount: index * 600 },
          request: 'req-42',
        }),
      )
    }
    const created = await fetch(`${server.url}/v1/checkpoints`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operatorToken}` },
    })
    expect(created.status).toBe(201)
    const latest = (await (await fetch(`${server.url}/v1/checkpoints/latest`)).json()) as {
      size: number
      token: string
    }
    expect(latest.size).toBe(3)
    const byRequest = (await (
      await fetch(`${server.url}/v1/receipts?request=req-42`, {
        headers: { authorization: `Bearer ${opsToken}` },
      })
    ).json()) as { receipts: { token: string }[] }
    expect(byRequest.receipts.map((stored) => stored.token)).toEqual(
      decisions.map((decision) => decision.receipt),
    )
    const byId = await fetch(`${server.url}/v1/receipts/${decisions[0]!.claims.jti}`, {
      headers: { authorization: `Bearer ${opsToken}` },
    })
    expect(((await byId.json()) as { token: string }).token).toBe(decisions[0]!.receipt)
    const keys = createKeySet(await gate.keys())
    const report = await verifyChain(
      byRequest.receipts.map((stored) => stored.token),
      keys,
      { checkpoints: [latest.token] },
    )
    expect(report.valid).toBe(true)
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200)
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200)
    const metrics = await (
      await fetch(`${server.url}/metrics`, {
        headers: { authorization: `Bearer ${operatorToken}` },
      })
    ).text()
    expect(metrics).toMatch(
      /writ_decisions_total\{decision="PERMIT",reason="RULE_PERMIT",action="payments.transfer",policy_digest="sha256:[0-9a-f]{64}"\} 2/,
    )
    expect(metrics).toMatch(/writ_decisions_total\{decision="SILENCE",reason="CONDITION_FALSE"/)
    expect(metrics).toContain('writ_decision_duration_seconds_count 3')
  })

  it('revokes a key: receipts it signed stop verifying for receivers, new ones use the next key', async () => {
    const { server, gate } = await start()
    const remote = createRemoteGate({ url: server.url, token: botToken })
    const before = await remote.authorize({ action: 'payments.transfer', args: { amount: 5 } })
    expect(before.decision).toBe('PERMIT')
    const revokedKid = (
      JSON.parse(Buffer.from(before.receipt.split('.')[0]!, 'base64url').toString()) as {
        kid: string
      }
    ).kid
    gate.keyRing.revoke(revokedKid)
    const published = createKeySet(
      (await (await fetch(`${server.url}/.well-known/writ/keys.json`)).json()) as never,
    )
    const refused = await verifyPermit(before.receipt, published, {
      action: 'payments.transfer',
      args: { amount: 5 },
    }).catch((error: unknown) => error)
    expect(WritError.isInstance(refused) && refused.code).toBe('KEY_REVOKED')
    const fresh = createRemoteGate({ url: server.url, token: botToken })
    const after = await fresh.authorize({ action: 'payments.transfer', args: { amount: 5 } })
    expect(after.decision).toBe('PERMIT')
    const verified = await verifyPermit(after.receipt, published, {
      action: 'payments.transfer',
      args: { amount: 5 },
    })
    expect(verified.header.kid).not.toBe(revokedKid)
  })

  it('takes context from the operator, not the agent: agent context is refused unless accepted, and never wins', async () => {
    const { server } = await start()
    const bot = createRemoteGate({ url: server.url, token: botToken })
    const refused = await bot
      .authorize({ action: 'exports.run', args: {}, context: { role: 'operator' } })
      .catch((error: unknown) => error)
    expect(WritError.isInstance(refused) && refused.code).toBe('CONTEXT_NOT_ACCEPTED')
    const ops = createRemoteGate({ url: server.url, token: opsToken })
    expect((await ops.authorize({ action: 'exports.run', args: {} })).decision).toBe('PERMIT')

    const lenient = await start({ acceptAgentContext: true })
    const botThere = createRemoteGate({ url: lenient.server.url, token: botToken })
    const claimed = await botThere.authorize({
      action: 'exports.run',
      args: {},
      context: { role: 'operator' },
    })
    expect(claimed.decision).toBe('DENY')
    expect(claimed.reason).toBe('AGENT_NOT_ALLOWED')
    const opsThere = createRemoteGate({ url: lenient.server.url, token: opsToken })
    const overridden = await opsThere.authorize({
      action: 'exports.run',
      args: {},
      context: { role: 'intern' },
    })
    expect(overridden.decision).toBe('PERMIT')
  })
})
