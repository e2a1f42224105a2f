import type { IncomingMessage, ServerResponse } from 'node:http'
import { getRequestListener } from '@hono/node-server'
import express from 'express'
import { Hono } from 'hono'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { expressReceiptGuard } from '../src/express.js'
import { honoReceiptGuard, type WritHonoVariables } from '../src/hono.js'
import { createGatedFetch, type ReceiptGuardOptions } from '../src/index.js'
import { nodeReceiptGuard } from '../src/node.js'
import {
  capturingFetch,
  closeAfterEach,
  jsonPost,
  listen,
  newGate,
  problemOf,
  type RunningServer,
} from './support.js'

type Kind = 'node' | 'hono' | 'express'

interface Executed {
  readonly method: string
  readonly path: string
  readonly body: string
}

interface GuardedServer extends RunningServer {
  readonly executed: Executed[]
}

/** A real server on 127.0.0.1 whose only handler sits behind the receipt guard of `kind`. */
async function guardedServer(
  kind: Kind,
  optionsFor: (origin: string) => ReceiptGuardOptions,
): Promise<GuardedServer> {
  const executed: Executed[] = []
  let listener: (request: IncomingMessage, response: ServerResponse) => void = (
    _request,
    response,
  ) => {
    response.writeHead(503).end()
  }
  const running = await listen((request, response) => listener(request, response))
  const options = optionsFor(running.origin)
  if (kind === 'node') {
    listener = nodeReceiptGuard(options, (request, response, writ) => {
      executed.push({
        method: request.method ?? '',
        path: request.url ?? '',
        body: new TextDecoder().decode(writ.body),
      })
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(JSON.stringify({ ok: true, receipt: writ.receipt.claims.jti }))
    })
  } else if (kind === 'hono') {
    const app = new Hono<{ Variables: WritHonoVariables }>()
    app.use('*', honoReceiptGuard(options))
    app.all('*', async (context) => {
      executed.push({
        method: context.req.method,
        path: new URL(context.req.url).pathname + new URL(context.req.url).search,
        body: await context.req.text(),
      })
      return context.json({ ok: true, receipt: context.get('writ').receipt.claims.jti })
    })
    listener = getRequestListener(app.fetch)
  } else {
    const app = express()
    app.use(expressReceiptGuard(options))
    app.use((request, response) => {
      executed.push({
        method: request.method,
        path: request.originalUrl,
        body: (request.body as Buffer).toString('utf8'),
      })
      response.json({
        ok: true,
        receipt: (response.locals['writ'] as { receipt: { claims: { jti: string } } }).receipt
          .claims.jti,
      })
    })
    listener = app
  }
  return { ...running, executed }
}

/** Takes the request a gated fetch would send (a fresh, unused PERMIT) without sending it. */
async function permittedRequest(
  gatedFetchOptions: Parameters<typeof createGatedFetch>[1],
  url: string,
  init: RequestInit,
): Promise<{ token: string; request: Request }> {
  const capture = capturingFetch()
  const response = await createGatedFetch(newGate(), {
    ...gatedFetchOptions,
    fetch: capture.fetch,
  })(url, init)
  expect(response.status).toBe(204)
  const request = capture.requests[0]!
  return { token: request.headers.get('writ-receipt')!, request }
}

function withReceipt(token: string, init: RequestInit = {}): RequestInit {
  return {
    ...init,
    headers: { ...(init.headers as Record<string, string>), 'writ-receipt': token },
  }
}

const transfer = { to: 'alice', amount: 250 }

for (const kind of ['node', 'hono', 'express'] as const) {
  describe(`end to end through the ${kind} receiver`, () => {
    let server: GuardedServer
    const gate = newGate()
    const senderOptions = { actionName: 'payments.transfer' }

    beforeEach(async () => {
      const keys = await gate.keys()
      server = await guardedServer(kind, (origin) => ({
        keys,
        audience: origin,
        replay: 'memory',
        actionName: 'payments.transfer',
      }))
    })

    afterEach(async () => {
      await server.close()
    })

    it('executes a permitted request exactly once, with the bytes the receipt binds', async () => {
      const gatedFetch = createGatedFetch(gate, senderOptions)
      const response = await gatedFetch(`${server.origin}/v1/transfers?dry=0`, jsonPost(transfer))
      expect(response.status).toBe(200)
      expect(await response.json()).toMatchObject({ ok: true })
      expect(server.executed).toEqual([
        { method: 'POST', path: '/v1/transfers?dry=0', body: JSON.stringify(transfer) },
      ])
    })

    it('refuses a replayed receipt with REPLAYED', async () => {
      const capture: Request[] = []
      const gatedFetch = createGatedFetch(gate, {
        ...senderOptions,
        fetch: async (input, init) => {
          const request = new Request(input, init)
          capture.push(request.clone())
          return fetch(request)
        },
      })
      const first = await gatedFetch(`${server.origin}/v1/transfers`, jsonPost(transfer))
      expect(first.status).toBe(200)
      const sent = capture[0]!
      const replay = await fetch(sent.url, {
        method: sent.method,
        headers: sent.headers,
        body: await sent.arrayBuffer(),
      })
      expect(replay.status).toBe(403)
      expect((await problemOf(replay))['code']).toBe('REPLAYED')
      expect(server.executed).toHaveLength(1)
    })

    it('refuses a receipt moved to another body, query, method or path with ARGS_MISMATCH', async () => {
      const url = `${server.origin}/v1/transfers?dry=0`
      const moves: Array<[string, RequestInit]> = [
        [url, jsonPost({ ...transfer, amount: 900 })],
        [`${server.origin}/v1/transfers?dry=1`, jsonPost(transfer)],
        [url, jsonPost(transfer, 'PUT')],
        [`${server.origin}/v1/refunds?dry=0`, jsonPost(transfer)],
      ]
      for (const [target, init] of moves) {
        const { token } = await permittedRequest(senderOptions, url, jsonPost(transfer))
        const response = await fetch(target, withReceipt(token, init))
        expect(response.status).toBe(403)
        // The policy's view covers method, URI and body, so its digest differs first.
        expect((await problemOf(response))['code']).toBe('ARGS_MISMATCH')
      }
      expect(server.executed).toHaveLength(0)
    })

    it('refuses a target not in normal form, which the handler would read another way, with 400 HTTP_REQUEST_AMBIGUOUS', async () => {
      const url = `${server.origin}/v1/transfers`
      for (const target of ['/v1/%74ransfers', '/v1/transfers%2Fx', '/v1/transfers%5Cx']) {
        const { token } = await permittedRequest(senderOptions, url, jsonPost(transfer))
        const response = await fetch(
          `${server.origin}${target}`,
          withReceipt(token, jsonPost(transfer)),
        )
        expect(response.status).toBe(400)
        expect((await problemOf(response))['code']).toBe('HTTP_REQUEST_AMBIGUOUS')
      }
      expect(server.executed).toHaveLength(0)
    })

    it(`${kind === 'express' ? 'refuses (400 HTTP_REQUEST_AMBIGUOUS)' : 'refuses (403 ARGS_MISMATCH)'} a permit replayed on an upper-case or trailing-slash path`, async () => {
      const url = `${server.origin}/v1/transfers`
      for (const target of ['/V1/TRANSFERS', '/v1/transfers/']) {
        const { token } = await permittedRequest(senderOptions, url, jsonPost(transfer))
        const response = await fetch(
          `${server.origin}${target}`,
          withReceipt(token, jsonPost(transfer)),
        )
        // Express matches routes ignoring case and a trailing slash, so its guard refuses
        // such paths outright; an exact router sees another path than the receipt binds.
        expect(response.status).toBe(kind === 'express' ? 400 : 403)
        expect((await problemOf(response))['code']).toBe(
          kind === 'express' ? 'HTTP_REQUEST_AMBIGUOUS' : 'ARGS_MISMATCH',
        )
      }
      expect(server.executed).toHaveLength(0)
    })

    it('refuses a Content-Digest that does not match the body with HTTP_MISMATCH', async () => {
      const url = `${server.origin}/v1/transfers`
      const { token } = await permittedRequest(senderOptions, url, jsonPost(transfer))
      const init = jsonPost(transfer)
      const response = await fetch(url, {
        ...init,
        headers: {
          'content-type': 'application/json',
          'writ-receipt': token,
          'content-digest': `sha-256=:${Buffer.alloc(32).toString('base64')}:`,
        },
      })
      expect(response.status).toBe(403)
      expect((await problemOf(response))['code']).toBe('HTTP_MISMATCH')
      expect(server.executed).toHaveLength(0)
    })

    it('refuses a request sent without the gate with 401 RECEIPT_MISSING', async () => {
      const response = await fetch(`${server.origin}/v1/transfers`, jsonPost(transfer))
      expect(response.status).toBe(401)
      expect(response.headers.get('content-type')).toBe('application/problem+json')
      expect((await problemOf(response))['code']).toBe('RECEIPT_MISSING')
      expect(server.executed).toHaveLength(0)
    })

    it('refuses a DENY receipt attached by hand with NOT_PERMIT', async () => {
      const url = `${server.origin}/v1/transfers`
      const init = jsonPost({ to: 'mallory', amount: 1 })
      const response = await createGatedFetch(gate, senderOptions)(url, init)
      const deny = (await problemOf(response))['receipt'] as string
      const forced = await fetch(url, withReceipt(deny, jsonPost({ to: 'mallory', amount: 1 })))
      expect(forced.status).toBe(403)
      expect((await problemOf(forced))['code']).toBe('NOT_PERMIT')
      expect(server.executed).toHaveLength(0)
    })

    it('refuses a receipt meant for another service with AUDIENCE_MISMATCH', async () => {
      const url = `${server.origin}/v1/transfers`
      const response = await createGatedFetch(gate, {
        ...senderOptions,
        audience: 'https://elsewhere.example',
      })(url, jsonPost(transfer))
      expect(response.status).toBe(403)
      expect((await problemOf(response))['code']).toBe('AUDIENCE_MISMATCH')
      expect(server.executed).toHaveLength(0)
    })

    it('refuses a tampered receipt with SIGNATURE_INVALID', async () => {
      const url = `${server.origin}/v1/transfers`
      const { token } = await permittedRequest(senderOptions, url, jsonPost(transfer))
      const [header, claims, signature] = token.split('.') as [string, string, string]
      const middle = Math.floor(signature.length / 2)
      const flipped = signature[middle] === 'A' ? 'B' : 'A'
      const tampered = `${header}.${claims}.${signature.slice(0, middle)}${flipped}${signature.slice(middle + 1)}`
      const response = await fetch(url, withReceipt(tampered, jsonPost(transfer)))
      expect(response.status).toBe(403)
      expect((await problemOf(response))['code']).toBe('SIGNATURE_INVALID')
      expect(server.executed).toHaveLength(0)
    })

    it('refuses a body over the receiver limit with 413 BODY_TOO_LARGE', async () => {
      const url = `${server.origin}/v1/transfers`
      const { token } = await permittedRequest(senderOptions, url, jsonPost(transfer))
      const response = await fetch(
        url,
        withReceipt(token, { method: 'POST', body: new Uint8Array(1024 * 1024 + 1) }),
      )
      expect(response.status).toBe(413)
      expect((await problemOf(response))['code']).toBe('BODY_TOO_LARGE')
      expect(server.executed).toHaveLength(0)
    })
  })
}

describe('end to end: receipt lifetime and default action names', () => {
  const closes = closeAfterEach()

  /** A node receiver that trusts `gate`'s keys, with `extra` options; closed after the test. */
  async function nodeReceiver(
    gate: ReturnType<typeof newGate>,
    extra: Partial<ReceiptGuardOptions> = {},
  ): Promise<GuardedServer> {
    const keys = await gate.keys()
    return closes(
      await guardedServer('node', (origin) => ({
        keys,
        audience: origin,
        replay: 'memory',
        ...extra,
      })),
    )
  }

  it('refuses an expired receipt with EXPIRED', async () => {
    const gate = newGate()
    const running = await nodeReceiver(gate, { now: () => Math.floor(Date.now() / 1000) + 3600 })
    const response = await createGatedFetch(gate)(`${running.origin}/v1/items`)
    expect(response.status).toBe(403)
    expect((await problemOf(response))['code']).toBe('EXPIRED')
    expect(running.executed).toHaveLength(0)
  })

  it('names actions http.<method> on both sides by default, and refuses another action with ACTION_MISMATCH', async () => {
    const gate = newGate()
    const running = await nodeReceiver(gate)
    const gatedFetch = createGatedFetch(gate)
    expect((await gatedFetch(`${running.origin}/v1/items`)).status).toBe(200)
    const { token } = await permittedRequest({}, `${running.origin}/v1/items`, {})
    const moved = await fetch(
      `${running.origin}/v1/items`,
      withReceipt(token, { method: 'DELETE' }),
    )
    expect(moved.status).toBe(403)
    expect((await problemOf(moved))['code']).toBe('ACTION_MISMATCH')
    expect(running.executed).toHaveLength(1)
  })

  it('binds the public URL given by origin, not the Host header', async () => {
    const gate = newGate()
    const running = await nodeReceiver(gate, {
      audience: 'https://api.example.com',
      origin: 'https://api.example.com',
    })
    const { token } = await permittedRequest(
      { audience: 'https://api.example.com' },
      'https://api.example.com/v1/items?page=2',
      {},
    )
    const response = await fetch(`${running.origin}/v1/items?page=2`, withReceipt(token))
    expect(response.status).toBe(200)
    expect(running.executed).toHaveLength(1)
  })
})
