/**
 * Attacks on the authority HTTP service (`@writ/server`): one view per request,
 * audience per credential, other agents' receipts, operator-only routes, oversized
 * chunked bodies, out-of-order policy reloads and one agent starving the others.
 */
import { createHash } from 'node:crypto'
import { mkdtempSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { compilePolicy, createGate, generateSigningKey, type Store } from '@writ/core'
import {
  type AgentCredential,
  type AuthorityServerOptions,
  hashToken,
  type ListeningAuthority,
  type OperatorCredential,
  startAuthorityServer,
} from '@writ/server'
import { createSqliteStore } from '@writ/store-sqlite'
import { verifyReceipt } from '@writ/verify'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { POLICY_TEXT } from './support.js'

const HTTP_POLICY = `${POLICY_TEXT}
  - id: small-http-transfers
    effect: permit
    actions: [http.post]
    when: args.path == '/v1/transfers' && args.body.amount <= 1000
`
const botToken = 'bot-token-0123456789abcdef'
const peerToken = 'peer-token-0123456789abcdef'
const opsToken = 'operator-token-0123456789abcdef'
const agents: AgentCredential[] = [
  { agent: 'agent:bot', tokenSha256: hashToken(botToken) },
  { agent: 'agent:peer', tokenSha256: hashToken(peerToken) },
]
const operators: OperatorCredential[] = [{ name: 'ops', tokenSha256: hashToken(opsToken) }]

const running: ListeningAuthority[] = []
afterEach(async () => {
  await Promise.all(running.splice(0).map((server) => server.close()))
})

async function start(
  overrides: Partial<AuthorityServerOptions> & { wrapStore?: (store: Store) => Store } = {},
) {
  const dir = mkdtempSync(join(tmpdir(), 'writ-server-sec-'))
  const path = join(dir, 'authority.db')
  // better-sqlite3, as the test edits the file with it: one copy of SQLite per process.
  const sqlite = createSqliteStore({ path, driver: 'better-sqlite3' })
  const store = overrides.wrapStore ? overrides.wrapStore(sqlite) : sqlite
  const gate = createGate({
    policy: compilePolicy(HTTP_POLICY, { source: 'policy.yaml' }),
    keys: generateSigningKey(),
    issuer: 'https://authority.security.test',
    store,
    chainId: 'security',
  })
  const { wrapStore: _, ...options } = overrides
  const server = await startAuthorityServer({ gate, agents, operators, ...options })
  running.push(server)
  return { server, gate, path, sqlite }
}

async function post(url: string, token: string, body: unknown) {
  const response = await fetch(`${url}/v1/decisions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

async function receiptCount(sqlite: Store): Promise<number> {
  let count = 0
  for await (const _ of sqlite.receipts('security')) count++
  return count
}

describe('one request, one view: the decision wire format', () => {
  it('refuses the old split form: args for the policy, another request in "http" for the receipt', async () => {
    const { server, sqlite } = await start()
    const attack = await post(server.url, botToken, {
      action: 'payments.transfer',
      args: '{"amount":10}',
      http: {
        method: 'POST',
        uri: 'https://bank.internal/v1/admin/delete-accounts',
        body: `sha256:${'0'.repeat(64)}`,
      },
    })
    expect(attack.status).toBe(400)
    expect(attack.body['code']).toBe('INPUT_SYNTAX')
    expect(await receiptCount(sqlite)).toBe(0)
  })

  it('refuses args next to httpRequest, and any body that is not strict padded base64', async () => {
    const { server, sqlite } = await start()
    const base = { method: 'POST', uri: 'https://bank.internal/v1/transfers' }
    const withArgs = await post(server.url, botToken, {
      args: '{"amount":10}',
      httpRequest: { ...base, body: 'e30=' },
    })
    expect(withArgs.status).toBe(400)
    expect(withArgs.body['code']).toBe('INPUT_SYNTAX')
    // Unpadded, URL-safe alphabet, whitespace, and non-zero padding bits ("aGl=" reads as "hi" too).
    for (const body of ['aGk', 'aGk-', 'aG k=', 'aGl=', '=aGk', 'aGk==', 42]) {
      const refused = await post(server.url, botToken, { httpRequest: { ...base, body } })
      expect([refused.status, refused.body['code']]).toEqual([400, 'INPUT_SYNTAX'])
    }
    const twice = await post(server.url, botToken, {
      httpRequest: { ...base, headers: { 'X-Tenant': 'a', 'x-tenant': 'b' } },
    })
    expect([twice.status, twice.body['code']]).toEqual([400, 'INPUT_SYNTAX'])
    expect(await receiptCount(sqlite)).toBe(0)
  })

  it('hands the gate the whole request, body bytes decoded, action only when given', async () => {
    const seen: unknown[] = []
    const local = await start()
    const original = local.gate.authorize.bind(local.gate)
    local.gate.authorize = (request) => {
      seen.push(request)
      return original(request)
    }
    const body = Buffer.from('{"amount":10}')
    await post(local.server.url, botToken, {
      httpRequest: {
        method: 'POST',
        uri: 'https://bank.internal/v1/transfers?x=1',
        contentType: 'application/json',
        headers: { 'X-Tenant': 'acme' },
        body: body.toString('base64'),
      },
      audience: 'https://bank.internal',
    })
    expect(seen).toHaveLength(1)
    const handed = seen[0] as Record<string, unknown>
    expect(handed).not.toHaveProperty('action')
    expect(handed).not.toHaveProperty('args')
    expect(handed).not.toHaveProperty('http')
    expect(handed['agent']).toBe('agent:bot')
    const proposed = handed['httpRequest'] as Record<string, unknown>
    expect(proposed['method']).toBe('POST')
    expect(proposed['uri']).toBe('https://bank.internal/v1/transfers?x=1')
    expect(proposed['contentType']).toBe('application/json')
    expect(proposed['headers']).toEqual({ 'X-Tenant': 'acme' })
    expect(proposed['body']).toBeInstanceOf(Uint8Array)
    expect(Buffer.from(proposed['body'] as Uint8Array).equals(body)).toBe(true)
  })

  it('signs exactly the request whose derived arguments the policy evaluated', async () => {
    const { server, gate } = await start()
    const body = Buffer.from('{"amount":10}')
    const propose = (uri: string) =>
      post(server.url, botToken, {
        action: 'http.post',
        httpRequest: {
          method: 'POST',
          uri,
          contentType: 'application/json',
          body: body.toString('base64'),
        },
      })
    const permitted = await propose('https://bank.internal/v1/transfers')
    expect(permitted.body['decision']).toBe('PERMIT')
    const { claims } = await verifyReceipt(String(permitted.body['receipt']), gate.verifyKeys())
    expect(claims.http).toEqual({
      method: 'POST',
      uri: 'https://bank.internal/v1/transfers',
      body: `sha256:${createHash('sha256').update(body).digest('hex')}`,
    })
    // The same small body aimed at another route: the policy sees that route, not a transfer.
    const elsewhere = await propose('https://bank.internal/v1/admin/delete-accounts')
    expect(elsewhere.body['decision']).not.toBe('PERMIT')
  })

  it('limits the audiences a credential may ask permits for, with no receipt for a refusal', async () => {
    const restricted: AgentCredential[] = [
      {
        agent: 'agent:bot',
        tokenSha256: hashToken(botToken),
        audiences: ['https://bank.internal'],
      },
    ]
    const { server, sqlite } = await start({ agents: restricted })
    const args = '{"amount":10}'
    for (const audience of ['https://admin.internal', 'https://bank.internal/', undefined]) {
      const refused = await post(server.url, botToken, {
        action: 'payments.transfer',
        args,
        ...(audience === undefined ? {} : { audience }),
      })
      expect([refused.status, refused.body['code']]).toEqual([403, 'AUDIENCE_NOT_ALLOWED'])
    }
    expect(await receiptCount(sqlite)).toBe(0)
    const allowed = await post(server.url, botToken, {
      action: 'payments.transfer',
      args,
      audience: 'https://bank.internal',
    })
    expect(allowed.body['decision']).toBe('PERMIT')
  })
})

describe('receipts API', () => {
  it("never shows an agent another agent's receipts, by id or by request", async () => {
    const { server } = await start()
    const mine = await post(server.url, botToken, {
      action: 'payments.transfer',
      args: '{"amount":10}',
      request: 'shared-req',
    })
    const jti = JSON.parse(
      Buffer.from(String(mine.body['receipt']).split('.')[1] as string, 'base64url').toString(),
    ).jti as string
    const read = (path: string, token: string) =>
      fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${token}` } })

    const byIdOther = await read(`/v1/receipts/${jti}`, peerToken)
    expect(byIdOther.status).toBe(404)
    expect(((await byIdOther.json()) as { code: string }).code).toBe('RECEIPT_MISSING')
    const byRequestOther = await read('/v1/receipts?request=shared-req', peerToken)
    expect(((await byRequestOther.json()) as { receipts: unknown[] }).receipts).toEqual([])

    const byIdOwn = await read(`/v1/receipts/${jti}`, botToken)
    expect(((await byIdOwn.json()) as { token: string }).token).toBe(mine.body['receipt'])
    const byRequestOps = await read('/v1/receipts?request=shared-req', opsToken)
    expect(((await byRequestOps.json()) as { receipts: unknown[] }).receipts).toHaveLength(1)
  })

  it('reports, and does not serve, a row whose columns were edited under an intact token', async () => {
    const { server, path } = await start()
    const denied = await post(server.url, botToken, {
      action: 'payments.transfer',
      args: '{"amount":5000}',
      request: 'edited',
    })
    expect(denied.body['decision']).toBe('SILENCE')
    const database = new Database(path)
    database
      .prepare(
        `UPDATE receipts SET decision = 'PERMIT', claims = json_set(claims, '$.decision', 'PERMIT', '$.sub', 'agent:peer') WHERE req = 'edited'`,
      )
      .run()
    database.close()
    const jti = JSON.parse(
      Buffer.from(String(denied.body['receipt']).split('.')[1] as string, 'base64url').toString(),
    ).jti as string
    for (const [path, token] of [
      [`/v1/receipts/${jti}`, botToken],
      ['/v1/receipts?request=edited', botToken],
      [`/v1/receipts/${jti}`, opsToken],
    ] as const) {
      const response = await fetch(`${server.url}${path}`, {
        headers: { authorization: `Bearer ${token}` },
      })
      expect(response.status).toBe(500)
      expect(((await response.json()) as { code: string }).code).toBe('STORE_CORRUPT')
    }
    // The edited sub names agent:peer, but only the signed sub decides who may read it.
    const peer = await fetch(`${server.url}/v1/receipts/${jti}`, {
      headers: { authorization: `Bearer ${peerToken}` },
    })
    expect(peer.status).toBe(404)
  })
})

describe('operator-only routes', () => {
  it('keeps /metrics and checkpoint issuing from agents, and decisions from operators', async () => {
    const { server } = await start()
    const get = (token?: string) =>
      fetch(`${server.url}/metrics`, {
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      })
    expect((await get()).status).toBe(401)
    const agentMetrics = await get(botToken)
    expect(agentMetrics.status).toBe(403)
    expect(((await agentMetrics.json()) as { code: string }).code).toBe('OPERATOR_REQUIRED')
    expect((await get(opsToken)).status).toBe(200)

    const checkpoint = (token: string) =>
      fetch(`${server.url}/v1/checkpoints`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}` },
      })
    const byAgent = await checkpoint(botToken)
    expect(byAgent.status).toBe(403)
    expect(((await byAgent.json()) as { code: string }).code).toBe('OPERATOR_REQUIRED')
    expect((await checkpoint(opsToken)).status).toBe(201)

    const asOperator = await post(server.url, opsToken, {
      action: 'payments.transfer',
      args: '{"amount":1}',
    })
    expect([asOperator.status, asOperator.body['code']]).toEqual([403, 'AGENT_REQUIRED'])
  })

  it("serves /metrics to anyone only when told to ('public')", async () => {
    const { server } = await start({ metrics: 'public' })
    expect((await fetch(`${server.url}/metrics`)).status).toBe(200)
  })

  it('refuses a token hash listed both as an agent and as an operator', async () => {
    await expect(
      start({ operators: [{ name: 'ops', tokenSha256: hashToken(botToken) }] }),
    ).rejects.toThrow(TypeError)
  })
})

describe('request bodies', () => {
  it('answers 413 to an oversized chunked body without reading it all', async () => {
    const { server } = await start()
    const total = 32 * 1024 * 1024
    const chunk = Buffer.alloc(64 * 1024, 0x20)
    const url = new URL(`${server.url}/v1/decisions`)
    let written = 0
    const outcome = await new Promise<{ status: number; code: string }>((resolve, reject) => {
      const request = httpRequest({
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        method: 'POST',
        headers: {
          authorization: `Bearer ${botToken}`,
          'content-type': 'application/json',
          'transfer-encoding': 'chunked',
        },
      })
      let answered = false
      request.on('error', (error) => {
        if (!answered) reject(error)
      })
      const response = new Promise<void>((done) => {
        request.on('response', (incoming) => {
          answered = true
          done()
          let text = ''
          incoming.setEncoding('utf8')
          incoming.on('data', (part: string) => {
            text += part
          })
          incoming.on('end', () => {
            request.destroy()
            resolve({
              status: incoming.statusCode ?? 0,
              code: (JSON.parse(text) as { code: string }).code,
            })
          })
        })
      })
      void (async () => {
        while (!answered && written < total) {
          const more = request.write(chunk)
          written += chunk.length
          if (!more)
            await Promise.race([new Promise((drained) => request.once('drain', drained)), response])
        }
        if (!answered) request.end()
      })()
    })
    expect(outcome).toEqual({ status: 413, code: 'BODY_TOO_LARGE' })
    // The answer came while the client was still sending: the server stopped reading.
    expect(written).toBeLessThan(total)
  })
})

describe('policy reloads', () => {
  it('applies reloads in the order they started: an older read finishing last never wins', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'writ-reload-sec-'))
    const older = POLICY_TEXT.replace('<= 1000', '<= 10')
    const newer = POLICY_TEXT.replace('<= 1000', '<= 20')
    const reads: ((text: string) => void)[] = []
    const { server, gate } = await start({
      policyFile: join(dir, 'policy.yaml'),
      readPolicyFile: () => new Promise<string>((resolve) => reads.push(resolve)),
    })
    const first = server.reloadPolicy()
    const second = server.reloadPolicy()
    expect(reads).toHaveLength(2)
    reads[1]?.(newer)
    const secondResult = await second
    expect(secondResult.status).toBe('applied')
    const newerDigest = gate.policy.digest
    reads[0]?.(older)
    expect((await first).status).toBe('superseded')
    expect(gate.policy.digest).toBe(newerDigest)
    expect(newerDigest).toBe(compilePolicy(newer).digest)
  })
})

describe('per-credential limits', () => {
  it('refuses beyond the rate with 429 RATE_LIMITED and Retry-After, per credential, refilling with time', async () => {
    let clock = 1_000_000
    const { server } = await start({ limits: { ratePerSecond: 2, burst: 3, now: () => clock } })
    const args = '{"amount":1}'
    for (let index = 0; index < 3; index++)
      expect((await post(server.url, botToken, { action: 'payments.transfer', args })).status).toBe(
        200,
      )
    const response = await fetch(`${server.url}/v1/decisions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${botToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'payments.transfer', args }),
    })
    expect(response.status).toBe(429)
    expect(((await response.json()) as { code: string }).code).toBe('RATE_LIMITED')
    expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1)
    expect((await post(server.url, peerToken, { action: 'payments.transfer', args })).status).toBe(
      200,
    )
    clock += 500
    expect((await post(server.url, botToken, { action: 'payments.transfer', args })).status).toBe(
      200,
    )
    expect((await post(server.url, botToken, { action: 'payments.transfer', args })).status).toBe(
      429,
    )
  })

  it('refuses the 17th concurrent decision of one token while another agent is still served', async () => {
    let release!: () => void
    const released = new Promise<void>((resolve) => {
      release = resolve
    })
    let held = 0
    let allHeld!: () => void
    const sixteenHeld = new Promise<void>((resolve) => {
      allHeld = resolve
    })
    const { server } = await start({
      wrapStore: (store: Store) =>
        new Proxy(store, {
          get(target, property, receiver) {
            const value = Reflect.get(target, property, receiver)
            if (property !== 'append') return value
            return async (...args: Parameters<Store['append']>) => {
              if (held < 16) {
                held += 1
                if (held === 16) allHeld()
                await released
              }
              return target.append(...args)
            }
          },
        }),
    })
    const args = '{"amount":1}'
    const first16 = Array.from({ length: 16 }, () =>
      post(server.url, botToken, { action: 'payments.transfer', args }),
    )
    await sixteenHeld
    const seventeenth = await fetch(`${server.url}/v1/decisions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${botToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'payments.transfer', args }),
    })
    expect(seventeenth.status).toBe(429)
    expect(((await seventeenth.json()) as { code: string }).code).toBe('CONCURRENCY_LIMITED')
    expect(seventeenth.headers.get('retry-after')).not.toBeNull()
    const other = await post(server.url, peerToken, { action: 'payments.transfer', args })
    expect(other.body['decision']).toBe('PERMIT')
    release()
    const answered = await Promise.all(first16)
    expect(answered.every((result) => result.body['decision'] === 'PERMIT')).toBe(true)
    expect((await post(server.url, botToken, { action: 'payments.transfer', args })).status).toBe(
      200,
    )
  })
})
