/**
 * One request, one view (receipt spec section 10). Each case is an attack found by an
 * adversarial review of the authority-service deployment, replayed against real parts:
 * `writ serve`'s app on 127.0.0.1, the remote gate, the gated fetch, and the receiving
 * guards for node:http, Express and Hono. Nothing the policy did not see may run.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { serve } from '@hono/node-server'
import {
  compilePolicy,
  createGate,
  createRemoteGate,
  generateSigningKey,
  type LocalGate,
} from '@writ/core'
import { createGatedFetch } from '@writ/fetch'
import { expressReceiptGuard } from '@writ/fetch/express'
import { honoReceiptGuard, type WritHonoVariables } from '@writ/fetch/hono'
import { nodeReceiptGuard } from '@writ/fetch/node'
import { hashToken, type ListeningAuthority, startAuthorityServer } from '@writ/server'
import { digestOf, httpRequestView, type JwkSet } from '@writ/verify'
import express from 'express'
import { Hono } from 'hono'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'

const POLICY = `
writ: 1
id: one-view
rules:
  - id: small-transfers
    effect: permit
    actions: [http.post]
    when: args.path == '/v1/transfers' && args.body.amount <= 100
  - id: any-post-but-admin
    effect: permit
    actions: [http.post]
    when: args.path.startsWith('/v1/data/')
  - id: no-admin
    effect: deny
    actions: [http.*]
    when: args.path.startsWith('/v1/admin') || args.path.startsWith('/v1/data/wipe')
`
const AGENT_TOKEN = 'agent-token-0123456789abcdef'

const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()))
})

function listen(server: Server): Promise<string> {
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  )
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  )
}

/** A raw HTTP/1.1 request: any Host header, any target, exactly as written. */
function rawRequest(
  base: string,
  options: {
    method: string
    target: string
    host?: string
    headers?: Record<string, string>
    body?: string
  },
): Promise<{ status: number; body: string }> {
  const url = new URL(base)
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: options.method,
        path: options.target,
        setHost: false,
        headers: { host: options.host ?? url.host, ...options.headers },
      },
      (response: IncomingMessage) => {
        let text = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => {
          text += chunk
        })
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }))
      },
    )
    outgoing.on('error', reject)
    outgoing.end(options.body)
  })
}

interface World {
  readonly gate: LocalGate
  readonly keys: JwkSet
  readonly authority: ListeningAuthority
  readonly ran: string[]
}

/** A gate over `policy` behind a real authority on 127.0.0.1, with one agent credential. */
async function world(policy = POLICY, audiences?: readonly string[]): Promise<World> {
  const gate = createGate({
    policy: compilePolicy(policy),
    keys: generateSigningKey(),
    issuer: 'https://authority.one-view.test',
  })
  const authority = await startAuthorityServer({
    gate,
    agents: [
      {
        agent: 'agent:bot',
        tokenSha256: hashToken(AGENT_TOKEN),
        ...(audiences === undefined ? {} : { audiences }),
      },
    ],
  })
  closers.push(() => authority.close())
  return { gate, keys: await gate.keys(), authority, ran: [] }
}

/** The authority's decision API, called as an agent would with only its token. */
async function decide(authority: ListeningAuthority, body: unknown) {
  const response = await fetch(`${authority.url}/v1/decisions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${AGENT_TOKEN}` },
    body: JSON.stringify(body),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64')
}

/** A PERMIT for a small transfer to `service`, obtained honestly through the decision API. */
async function transferPermit(authority: ListeningAuthority, service: string): Promise<string> {
  const answer = await decide(authority, {
    action: 'http.post',
    audience: service,
    httpRequest: {
      method: 'POST',
      uri: `${service}/v1/transfers`,
      contentType: 'application/json',
      body: base64('{"to":"alice","amount":10}'),
    },
  })
  expect(answer.body['decision']).toBe('PERMIT')
  return answer.body['receipt'] as string
}

describe('bypass 1: the authority signs only the request its policy saw', () => {
  let w: World
  beforeEach(async () => {
    w = await world()
  })

  it('refuses arguments and a binding sent separately, in either shape', async () => {
    const permitted = { method: 'POST', path: '/v1/transfers', body: { amount: 10 } }
    const split = await decide(w.authority, {
      action: 'http.post',
      args: JSON.stringify(permitted),
      http: {
        method: 'POST',
        uri: 'http://127.0.0.1:1/v1/admin/delete-accounts',
        body: digestOf('{}'),
      },
    })
    expect(split.status).toBe(400)
    expect(split.body['receipt']).toBeUndefined()
    const beside = await decide(w.authority, {
      action: 'http.post',
      args: JSON.stringify(permitted),
      httpRequest: { method: 'POST', uri: 'http://127.0.0.1:1/v1/admin/delete-accounts' },
    })
    expect(beside.status).toBe(400)
    // Arguments alone for an http.* action are refused too: the gate decides on requests.
    const argsOnly = await decide(w.authority, {
      action: 'http.post',
      args: JSON.stringify(permitted),
    })
    expect([argsOnly.body['decision'], argsOnly.body['reason']]).toEqual(['DENY', 'INPUT_INVALID'])
  })

  it('the embedded gate refuses the split too', async () => {
    const decision = await w.gate.authorize({
      action: 'http.post',
      args: { path: '/v1/transfers', body: { amount: 10 } },
      http: {
        method: 'POST',
        uri: 'https://bank.test/v1/admin/delete-accounts',
        body: digestOf(''),
      },
    } as never)
    expect([decision.decision, decision.reason]).toEqual(['DENY', 'INPUT_INVALID'])
  })

  it('a receiving service with the guard as documented never runs another request on a PERMIT', async () => {
    const ran: string[] = []
    let service = ''
    const server = createServer((request, response) => {
      nodeReceiptGuard({ keys: w.keys, audience: service, replay: 'memory' }, (incoming, out) => {
        ran.push(incoming.url ?? '')
        out.end('done')
      })(request, response)
    })
    service = await listen(server)
    const permit = await transferPermit(w.authority, service)
    const attack = await rawRequest(service, {
      method: 'POST',
      target: '/v1/admin/delete-accounts',
      headers: { 'content-type': 'application/json', 'writ-receipt': permit },
      body: '{"everything":true}',
    })
    expect(attack.status).toBe(403)
    expect(JSON.parse(attack.body).code).toBe('ARGS_MISMATCH')
    // The same PERMIT with the same bytes but another amount in the body: refused too.
    const swapped = await rawRequest(service, {
      method: 'POST',
      target: '/v1/transfers',
      headers: { 'content-type': 'application/json', 'writ-receipt': permit },
      body: '{"to":"alice","amount":1000000}',
    })
    expect(swapped.status).toBe(403)
    expect(ran).toEqual([])
    const honest = await rawRequest(service, {
      method: 'POST',
      target: '/v1/transfers',
      headers: { 'content-type': 'application/json', 'writ-receipt': permit },
      body: '{"to":"alice","amount":10}',
    })
    expect(honest.status).toBe(200)
    expect(ran).toEqual(['/v1/transfers'])
  })

  it('the audience an agent chooses is visible to policies and limited per credential', async () => {
    const { authority } = await world(
      `
writ: 1
id: audiences
rules:
  - id: pay-only
    effect: permit
    actions: [http.post]
    when: audience == 'https://pay.test'
`,
      ['https://pay.test', 'https://export.test'],
    )
    const ask = (audience: string) =>
      decide(authority, {
        action: 'http.post',
        audience,
        httpRequest: { method: 'POST', uri: `${audience}/v1/x` },
      })
    expect((await ask('https://pay.test')).body['decision']).toBe('PERMIT')
    expect((await ask('https://export.test')).body['decision']).toBe('SILENCE')
    const elsewhere = await ask('https://admin.test')
    expect([elsewhere.status, elsewhere.body['code']]).toEqual([403, 'AUDIENCE_NOT_ALLOWED'])
  })
})

describe('bypass 2: no guard builds the URI it checks from the Host header', () => {
  let w: World
  beforeEach(async () => {
    w = await world()
  })

  async function expressService(mount: 'app' | 'route'): Promise<{ url: string; ran: string[] }> {
    const ran: string[] = []
    const app = express()
    const holder = { url: '' }
    const guard = (
      request: express.Request,
      response: express.Response,
      next: express.NextFunction,
    ) =>
      expressReceiptGuard({ keys: w.keys, audience: holder.url, replay: 'memory' })(
        request,
        response,
        next,
      )
    if (mount === 'app') app.use(guard)
    app.post('/v1/transfers', ...(mount === 'route' ? [guard] : []), (request, response) => {
      ran.push(`transfers ${request.originalUrl}`)
      response.send('ok')
    })
    app.post('/v1/admin/wipe', ...(mount === 'route' ? [guard] : []), (_request, response) => {
      ran.push('wipe')
      response.send('wiped')
    })
    holder.url = await listen(createServer(app))
    return { url: holder.url, ran }
  }

  it.each(['app', 'route'] as const)(
    'Express (%s-mounted) refuses a Host that rewrites the path',
    async (mount) => {
      const service = await expressService(mount)
      const permit = await transferPermit(w.authority, service.url)
      const port = new URL(service.url).port
      const attempts = [
        { target: '/v1/admin/wipe', host: `127.0.0.1:${port}/v1/transfers#` },
        { target: '/v1/admin/wipe', host: `127.0.0.1:${port}\\v1\\transfers#` },
        { target: '/v1/transfers?to=mallory', host: `127.0.0.1:${port}/v1/transfers#` },
        { target: '/v1/transfers', host: `127.0.0.1:${port}/v1/transfers?to=mallory#` },
      ]
      for (const attempt of attempts) {
        const result = await rawRequest(service.url, {
          method: 'POST',
          target: attempt.target,
          host: attempt.host,
          headers: { 'content-type': 'application/json', 'writ-receipt': permit },
          body: '{"to":"alice","amount":10}',
        })
        expect(result.status, JSON.stringify(attempt)).toBeGreaterThanOrEqual(400)
      }
      expect(service.ran).toEqual([])
    },
  )

  it('node:http refuses dot-segments and scheme-relative targets the handler would see raw', async () => {
    const ran: string[] = []
    let url = ''
    url = await listen(
      createServer((request, response) =>
        nodeReceiptGuard({ keys: w.keys, audience: url, replay: 'memory' }, (incoming, out) => {
          ran.push(incoming.url ?? '')
          out.end()
        })(request, response),
      ),
    )
    const permit = await transferPermit(w.authority, url)
    for (const target of [
      '/v1/admin/../transfers',
      '//evil.test/v1/transfers',
      '/v1/./transfers',
    ]) {
      const result = await rawRequest(url, {
        method: 'POST',
        target,
        headers: { 'content-type': 'application/json', 'writ-receipt': permit },
        body: '{"to":"alice","amount":10}',
      })
      expect([target, result.status, JSON.parse(result.body).code]).toEqual([
        target,
        400,
        'HTTP_REQUEST_AMBIGUOUS',
      ])
    }
    expect(ran).toEqual([])
  })
})

describe('bypass 3: a remote gate accepts no replayed PERMIT', () => {
  it('a party on the path answering with the first PERMIT gets nothing paid twice', async () => {
    const { gate, authority } = await world(`
writ: 1
id: limited
rules:
  - id: pay
    effect: permit
    actions: [payments.transfer]
limits:
  - id: daily
    actions: [payments.transfer]
    per: agent
    sum: args.amount
    max: 1500
    window: 24h
`)
    // A plain-http proxy that forwards the first decision and answers every later one with it.
    let first: string | undefined
    const proxy = await listen(
      createServer(async (request, response) => {
        const chunks: Buffer[] = []
        for await (const chunk of request) chunks.push(chunk as Buffer)
        if (first === undefined || request.url !== '/v1/decisions') {
          const forwarded = await fetch(`${authority.url}${request.url}`, {
            method: request.method ?? 'GET',
            headers: request.headers as Record<string, string>,
            ...(request.method === 'POST' ? { body: Buffer.concat(chunks) } : {}),
          })
          const text = await forwarded.text()
          if (request.url === '/v1/decisions') first = text
          response.writeHead(forwarded.status, { 'content-type': 'application/json' })
          response.end(text)
          return
        }
        response.writeHead(200, { 'content-type': 'application/json' })
        response.end(first)
      }),
    )
    const remote = createRemoteGate({ url: proxy, token: AGENT_TOKEN, keys: await gate.keys() })
    const paid: number[] = []
    const results: string[] = []
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        await remote.guard(
          { action: 'payments.transfer', args: { to: 'mallory', amount: 1000 } },
          (args) => {
            paid.push(args['amount'] as number)
          },
        )
        results.push('paid')
      } catch (error) {
        results.push((error as { code?: string }).code ?? 'unknown')
      }
    }
    expect(paid).toEqual([1000])
    expect(results).toEqual(['paid', 'AUTHORITY_RESPONSE_INVALID', 'AUTHORITY_RESPONSE_INVALID'])
    // With the caller's own request id repeated, the seen jti still refuses the replay.
    const sameId = createRemoteGate({ url: proxy, token: AGENT_TOKEN, keys: await gate.keys() })
    const firstReq = JSON.parse(first as string) as { receipt: string }
    const claims = JSON.parse(
      Buffer.from(firstReq.receipt.split('.')[1] as string, 'base64url').toString(),
    )
    let ran = 0
    await sameId.guard(
      { action: 'payments.transfer', args: { to: 'mallory', amount: 1000 }, request: claims.req },
      () => {
        ran += 1
      },
    )
    await expect(
      sameId.guard(
        { action: 'payments.transfer', args: { to: 'mallory', amount: 1000 }, request: claims.req },
        () => {
          ran += 1
        },
      ),
    ).rejects.toMatchObject({ code: 'AUTHORITY_RESPONSE_INVALID' })
    expect(ran).toBe(1)
  })
})

describe('bypass 4: the policy and the receiving service read one request one way', () => {
  let w: World
  beforeEach(async () => {
    w = await world()
  })

  it('an encoded path is decided as the router will route it (Hono)', async () => {
    const ran: string[] = []
    const holder = { url: '' }
    const app = new Hono<{ Variables: WritHonoVariables }>()
    app.use('*', (context, next) =>
      honoReceiptGuard({ keys: w.keys, audience: holder.url, replay: 'memory' })(context, next),
    )
    app.post('/v1/admin/wipe', (context) => {
      ran.push('wipe')
      return context.text('wiped')
    })
    app.post('/v1/transfers', async (context) => {
      ran.push(`transfers ${JSON.stringify(await context.req.json())}`)
      return context.text('ok')
    })
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' })
    await new Promise<void>((resolve) => server.once('listening', () => resolve()))
    closers.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
    holder.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

    // Through the gated fetch, the encoded path reaches the policy decoded: the deny holds.
    const remote = createRemoteGate({ url: w.authority.url, token: AGENT_TOKEN, keys: w.keys })
    const gatedFetch = createGatedFetch(remote)
    const encoded = await gatedFetch(`${holder.url}/v1/%61dmin/wipe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    expect([encoded.status, ((await encoded.json()) as { reason: string }).reason]).toEqual([
      403,
      'RULE_DENY',
    ])
    // A JSON body sent as text/plain (which c.req.json() reads anyway) is never decided.
    const textPlain = await gatedFetch(`${holder.url}/v1/transfers`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '{"to":"mallory","amount":5000}',
    })
    expect(((await textPlain.json()) as { reason: string }).reason).toBe('INPUT_INVALID')
    // And sent by hand with a PERMIT for the honest request, both are refused by the guard.
    const permit = await transferPermit(w.authority, holder.url)
    for (const attempt of [
      { target: '/v1/%61dmin/wipe', type: 'application/json', body: '{"to":"alice","amount":10}' },
      { target: '/v1/transfers', type: 'text/plain', body: '{"to":"alice","amount":10}' },
      {
        target: '/v1/transfers',
        type: 'application/json',
        body: '\ufeff{"to":"alice","amount":10}',
      },
    ]) {
      const result = await rawRequest(holder.url, {
        method: 'POST',
        target: attempt.target,
        headers: { 'content-type': attempt.type, 'writ-receipt': permit },
        body: attempt.body,
      })
      expect(result.status, attempt.target).toBeGreaterThanOrEqual(400)
    }
    expect(ran).toEqual([])
    const honest = await gatedFetch(`${holder.url}/v1/transfers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"to":"alice","amount":10}',
    })
    expect(honest.status).toBe(200)
    expect(ran).toEqual(['transfers {"to":"alice","amount":10}'])
  })

  it('Express does not route /V1/ADMIN/wipe or /v1/data/wipe/ past a deny rule', async () => {
    // A deny-list policy: every POST is permitted except the admin and wipe endpoints.
    w = await world(`
writ: 1
id: deny-list
rules:
  - id: any-post
    effect: permit
    actions: [http.post]
  - id: no-admin
    effect: deny
    actions: [http.*]
    when: args.path.startsWith('/v1/admin') || args.path == '/v1/data/wipe'
`)
    const ran: string[] = []
    const app = express()
    const holder = { url: '' }
    app.use((request, response, next) =>
      expressReceiptGuard({ keys: w.keys, audience: holder.url, replay: 'memory' })(
        request,
        response,
        next,
      ),
    )
    app.post('/v1/admin/wipe', (_request, response) => {
      ran.push('admin wipe')
      response.send('wiped')
    })
    app.post('/v1/data/wipe', (_request, response) => {
      ran.push('data wipe')
      response.send('wiped')
    })
    holder.url = await listen(createServer(app))
    for (const path of ['/V1/ADMIN/wipe', '/v1/data/wipe/']) {
      // The authority sees these paths as written, and no deny rule matches them...
      const view = httpRequestView({
        method: 'POST',
        uri: `${holder.url}${path}`,
        body: new Uint8Array(),
      })
      const answer = await decide(w.authority, {
        action: 'http.post',
        audience: holder.url,
        httpRequest: { method: 'POST', uri: `${holder.url}${path}` },
      })
      // ...so they get a PERMIT, which Express (matching without case and trailing slash)
      // would run on the denied handlers.
      expect(answer.body['decision']).toBe('PERMIT')
      expect(view.args['path']).toBe(path)
      const result = await rawRequest(holder.url, {
        method: 'POST',
        target: path,
        headers: { 'writ-receipt': answer.body['receipt'] as string },
      })
      expect([path, result.status, JSON.parse(result.body).code]).toEqual([
        path,
        400,
        'HTTP_REQUEST_AMBIGUOUS',
      ])
    }
    expect(ran).toEqual([])
  })
})
