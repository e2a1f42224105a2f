/**
 * The receiving side of HTTP actions: a receipt binds one method, one full URI and one
 * body, for one service, once. An agent that skips the gate (or reuses a receipt it got
 * for something else) sends raw HTTP: it controls the request line and every header.
 */
import { mkdtempSync } from 'node:fs'
import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { compilePolicy } from '@writ/core'
import { createGatedFetch } from '@writ/fetch'
import { nodeReceiptGuard } from '@writ/fetch/node'
import { createSqliteStore } from '@writ/store-sqlite'
import { afterEach, describe, expect, it } from 'vitest'
import { makeGate } from './support.js'

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
  )
})

interface Receiver {
  readonly origin: string
  readonly port: number
  readonly executed: string[]
}

async function listen(server: Server): Promise<number> {
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return (server.address() as AddressInfo).port
}

/** A payment service on 127.0.0.1 that executes only on a valid receipt. */
async function paymentService(
  keys: unknown,
  extra: Record<string, unknown> = {},
): Promise<Receiver> {
  const executed: string[] = []
  let handle: ((request: never, response: never) => void) | undefined
  const server = createServer((request, response) => handle?.(request as never, response as never))
  const port = await listen(server)
  const origin = `http://127.0.0.1:${port}`
  handle = nodeReceiptGuard(
    { keys: keys as never, audience: origin, replay: 'memory', ...extra },
    (_request, response, writ) => {
      executed.push(new TextDecoder().decode(writ.body))
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end('{"ok":true}')
    },
  ) as never
  return { origin, port, executed }
}

/** Sends raw HTTP with a chosen request target and Host header. */
function raw(
  port: number,
  options: { method: string; path: string; headers: Record<string, string>; body?: string },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: options.method,
        path: options.path,
        headers: options.headers,
      },
      (response) => {
        let body = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => {
          body += chunk
        })
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
      },
    )
    outgoing.on('error', reject)
    outgoing.end(options.body)
  })
}

/** The request a gated fetch would send, captured instead of sent. */
async function permittedRequest(
  gate: ReturnType<typeof makeGate>,
  url: string,
  init: RequestInit,
  options: { audience?: string } = {},
): Promise<Request> {
  let captured: Request | undefined
  const gatedFetch = createGatedFetch(gate, {
    ...options,
    onRefusal: 'throw',
    fetch: async (input) => {
      captured = input as Request
      return new Response('{}')
    },
  })
  await gatedFetch(url, init)
  if (captured === undefined) throw new Error('nothing was sent')
  return captured
}

const permissive = `
writ: 1
id: http
rules:
  - id: posts
    effect: permit
    actions: [http.post]
`

describe('receipts over HTTP', () => {
  it('a receipt for another host is refused even when the Host header claims that host', async () => {
    const gate = makeGate({ policy: compilePolicy(permissive) })
    const service = await paymentService(await gate.keys())
    // The agent asks the authority about an allowed external host, naming the payment
    // service as audience, then replays the receipt at the payment service.
    const body = '{"to":"mallory","amount":900000}'
    const sent = await permittedRequest(
      gate,
      'http://allowed.example/v1/transfers',
      { method: 'POST', headers: { 'content-type': 'application/json' }, body },
      { audience: service.origin },
    )
    const receipt = sent.headers.get('writ-receipt')!
    for (const attempt of [
      { path: '/v1/transfers', headers: { host: 'allowed.example' }, code: 'ARGS_MISMATCH' },
      {
        path: 'http://allowed.example/v1/transfers',
        headers: { host: `127.0.0.1:${service.port}` },
        code: 'HTTP_REQUEST_AMBIGUOUS',
      },
      {
        path: '//allowed.example/v1/transfers',
        headers: { host: `127.0.0.1:${service.port}` },
        code: 'HTTP_REQUEST_AMBIGUOUS',
      },
    ]) {
      const response = await raw(service.port, {
        method: 'POST',
        path: attempt.path,
        headers: {
          ...attempt.headers,
          'content-type': 'application/json',
          'writ-receipt': receipt,
        },
        body,
      })
      expect(response.status).toBeGreaterThanOrEqual(400)
      expect(JSON.parse(response.body).code).toBe(attempt.code)
    }
    expect(service.executed).toEqual([])
  })

  it('a receipt runs once, only with its body, path and query', async () => {
    const gate = makeGate({ policy: compilePolicy(permissive) })
    const service = await paymentService(await gate.keys())
    const body = '{"to":"alice","amount":5}'
    const sent = await permittedRequest(gate, `${service.origin}/v1/transfers?dry=0`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    })
    const receipt = sent.headers.get('writ-receipt')!
    const headers = { 'content-type': 'application/json', 'writ-receipt': receipt }
    const attempts: [string, string, string][] = [
      // Arguments are derived from the whole request, so any change shows there first.
      ['/v1/transfers?dry=0', '{"to":"mallory","amount":5}', 'ARGS_MISMATCH'],
      ['/v1/transfers?dry=1', body, 'ARGS_MISMATCH'],
      ['/v1/transfers?dry=0&dry=1', body, 'ARGS_MISMATCH'],
      ['/v1/refunds?dry=0', body, 'ARGS_MISMATCH'],
      ['/v1/transfers?dry=0', ' {"to":"alice","amount":5}', 'HTTP_MISMATCH'],
    ]
    for (const [path, payload, code] of attempts) {
      const response = await raw(service.port, { method: 'POST', path, headers, body: payload })
      expect(JSON.parse(response.body).code).toBe(code)
    }
    const put = await raw(service.port, {
      method: 'PUT',
      path: '/v1/transfers?dry=0',
      headers,
      body,
    })
    expect(JSON.parse(put.body).code).toBe('ACTION_MISMATCH')
    const first = await raw(service.port, {
      method: 'POST',
      path: '/v1/transfers?dry=0',
      headers,
      body,
    })
    expect(first.status).toBe(200)
    const again = await raw(service.port, {
      method: 'POST',
      path: '/v1/transfers?dry=0',
      headers,
      body,
    })
    expect(JSON.parse(again.body).code).toBe('REPLAYED')
    expect(service.executed).toEqual([body])
  })

  it('two services sharing one SQLite replay table accept a receipt once between them', async () => {
    const gate = makeGate({ policy: compilePolicy(permissive) })
    const directory = mkdtempSync(join(tmpdir(), 'writ-security-http-'))
    const first = createSqliteStore({ path: join(directory, 'replay.db') })
    const second = createSqliteStore({ path: join(directory, 'replay.db') })
    try {
      const origin = 'https://pay.example'
      const one = await paymentService(await gate.keys(), {
        origin,
        audience: origin,
        replay: first.replay,
      })
      const two = await paymentService(await gate.keys(), {
        origin,
        audience: origin,
        replay: second.replay,
      })
      const body = '{"amount":5}'
      const sent = await permittedRequest(
        gate,
        `${origin}/v1/transfers`,
        { method: 'POST', headers: { 'content-type': 'application/json' }, body },
        { audience: origin },
      )
      const headers = {
        'content-type': 'application/json',
        'writ-receipt': sent.headers.get('writ-receipt')!,
      }
      const accepted = await raw(one.port, { method: 'POST', path: '/v1/transfers', headers, body })
      expect(accepted.status).toBe(200)
      const replayed = await raw(two.port, { method: 'POST', path: '/v1/transfers', headers, body })
      expect(JSON.parse(replayed.body).code).toBe('REPLAYED')
      expect([...one.executed, ...two.executed]).toEqual([body])
    } finally {
      await first.close()
      await second.close()
    }
  })

  it('a gated fetch never follows a redirect to another target', async () => {
    const gate = makeGate({ policy: compilePolicy(permissive) })
    const hits: string[] = []
    const target = createServer((request, response) => {
      hits.push(request.url ?? '')
      response.end()
    })
    const targetPort = await listen(target)
    const redirecting = createServer((_request, response) => {
      response.writeHead(307, { location: `http://127.0.0.1:${targetPort}/steal` })
      response.end()
    })
    const port = await listen(redirecting)
    const response = await createGatedFetch(gate)(`http://127.0.0.1:${port}/v1/transfers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    })
    expect(response.status).toBe(307)
    expect(hits).toEqual([])
  })
})
