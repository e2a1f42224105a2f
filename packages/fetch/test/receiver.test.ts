import { request as httpRequest } from 'node:http'
import { compilePolicy, createGate, generateSigningKey } from '@writ/core'
import express from 'express'
import { describe, expect, it } from 'vitest'
import { expressReceiptGuard } from '../src/express.js'
import { createGatedFetch, createReceiptGuard, withReceiptGuard } from '../src/index.js'
import { nodeReceiptGuard } from '../src/node.js'
import {
  byteStream,
  capturingFetch,
  closeAfterEach,
  jsonPost,
  listen,
  newGate,
  problemOf,
} from './support.js'

const gate = newGate()
const audience = 'https://pay.example.com'
const transfer = { to: 'alice', amount: 250 }

/** A request exactly as the gated fetch would send it, holding a fresh PERMIT. */
async function permitted(
  url: string,
  init: RequestInit,
  options: Parameters<typeof createGatedFetch>[1] = {},
) {
  const capture = capturingFetch()
  const response = await createGatedFetch(gate, { audience, ...options, fetch: capture.fetch })(
    url,
    init,
  )
  expect(response.status).toBe(204)
  return capture.requests[0]!
}

describe("replay: 'memory' is one cache per audience for the process", () => {
  it('refuses a replay to a guard built per request, and across the Fetch, Hono-style and Node guards', async () => {
    const keys = await gate.keys()
    // The easy mistake: a guard built inside the request handler.
    const perRequest = (request: Request) =>
      withReceiptGuard({ keys, audience, replay: 'memory' }, async () =>
        Response.json({ ok: true }),
      )(request)
    const sent = await permitted(`${audience}/v1/transfers`, jsonPost(transfer))
    const again = sent.clone()
    const third = sent.clone()
    expect((await perRequest(sent)).status).toBe(200)
    const replay = await perRequest(again)
    expect(replay.status).toBe(403)
    expect((await problemOf(replay))['code']).toBe('REPLAYED')
    const other = await createReceiptGuard({ keys, audience, replay: 'memory' })(third)
    expect(other.ok).toBe(false)
  })
})

describe('withReceiptGuard (Fetch-API handlers)', () => {
  it('runs the handler once with the same body and the receipt, and refuses the replay', async () => {
    const calls: Array<{ body: unknown; jti: string }> = []
    const handler = withReceiptGuard(
      { keys: await gate.keys(), audience, replay: 'memory' },
      async (request, receipt) => {
        calls.push({ body: await request.json(), jti: receipt.claims.jti })
        return Response.json({ ok: true })
      },
    )
    const sent = await permitted(`${audience}/v1/transfers`, jsonPost(transfer))
    const again = sent.clone()
    expect((await handler(sent)).status).toBe(200)
    const replay = await handler(again)
    expect(replay.status).toBe(403)
    expect((await problemOf(replay))['code']).toBe('REPLAYED')
    expect(calls).toHaveLength(1)
    expect(calls[0]!.body).toEqual(transfer)
  })

  it('answers a failure of its own options with 500 RECEIVER_ERROR, never an acceptance', async () => {
    const guard = createReceiptGuard({
      keys: await gate.keys(),
      audience,
      replay: 'memory',
      actionName: () => {
        throw new Error('misconfigured')
      },
    })
    const result = await guard(await permitted(`${audience}/v1/transfers`, jsonPost(transfer)))
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.error.code).toBe('RECEIVER_ERROR')
    expect(result.response.status).toBe(500)
  })

  it('refuses to be built for a non-origin audience without origin, or without a replay choice', async () => {
    const keys = await gate.keys()
    const codeOf = (build: () => unknown): unknown => {
      try {
        build()
      } catch (error) {
        return (error as { code?: unknown }).code
      }
      return undefined
    }
    expect(
      codeOf(() => createReceiptGuard({ keys, audience: 'payments-api', replay: 'memory' })),
    ).toBe('RECEIVER_ERROR')
    expect(
      codeOf(() =>
        createReceiptGuard({ keys, audience } as unknown as Parameters<
          typeof createReceiptGuard
        >[0]),
      ),
    ).toBe('RECEIVER_ERROR')
    expect(
      codeOf(() =>
        createReceiptGuard({
          keys,
          audience: 'payments-api',
          origin: 'https://pay.example.com/v1',
          replay: 'memory',
        }),
      ),
    ).toBe('RECEIVER_ERROR')
    expect(
      codeOf(() =>
        createReceiptGuard({
          keys,
          audience: 'payments-api',
          origin: 'https://pay.example.com',
          replay: 'memory',
        }),
      ),
    ).toBeUndefined()
  })

  it('returns the view the policy saw, and runs on it', async () => {
    const guard = createReceiptGuard({ keys: await gate.keys(), audience, replay: 'memory' })
    const result = await guard(await permitted(`${audience}/v1/transfers?x=1`, jsonPost(transfer)))
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.view.args['path']).toBe('/v1/transfers')
    expect(result.view.args['query']).toEqual({ x: '1' })
    expect(result.view.args['body']).toEqual(transfer)
    expect(result.view.argsDigest).toBe(result.receipt.claims.act.args)
    expect(result.view.binding).toEqual(result.receipt.claims.http)
  })

  it('checks act.args too, so an allow-listed header cannot change after the decision', async () => {
    const tenant = { allowHeaders: ['x-tenant'] }
    const guard = createReceiptGuard({
      keys: await gate.keys(),
      audience,
      replay: 'memory',
      ...tenant,
    })
    const init = {
      ...jsonPost(transfer),
      headers: { 'content-type': 'application/json', 'x-tenant': 'acme' },
    }
    const same = await permitted(`${audience}/v1/transfers?x=1`, init, tenant)
    expect((await guard(same)).ok).toBe(true)

    const original = await permitted(`${audience}/v1/transfers?x=1`, init, tenant)
    const headers = new Headers(original.headers)
    headers.set('x-tenant', 'globex')
    const moved = new Request(original.url, {
      method: 'POST',
      headers,
      body: await original.arrayBuffer(),
    })
    const result = await guard(moved)
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.error.code).toBe('ARGS_MISMATCH')
  })

  it('reads a JWK Set given as JSON text, and refuses a receipt signed by a key not in it', async () => {
    const other = createGate({
      policy: compilePolicy('writ: 1\nid: other\nrules: []\n'),
      keys: generateSigningKey(),
      issuer: 'https://other.test',
    })
    const guard = createReceiptGuard({
      keys: JSON.stringify(await other.keys()),
      audience,
      replay: 'memory',
    })
    const result = await guard(await permitted(`${audience}/v1/transfers`, jsonPost(transfer)))
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.error.code).toBe('KEY_UNKNOWN')
  })
})

describe('node and express adapters: bodies', () => {
  const closes = closeAfterEach()

  it('executes a stream body within the limit sent through the gated fetch', async () => {
    const keys = await gate.keys()
    const seen: number[] = []
    let guarded: ReturnType<typeof nodeReceiptGuard> | undefined
    const server = closes(await listen((request, response) => guarded?.(request, response)))
    const origin = server.origin
    guarded = nodeReceiptGuard(
      { keys, audience: origin, replay: 'memory', actionName: 'uploads.put', maxBodyBytes: 8192 },
      (_r, response, writ) => {
        seen.push(writ.body.byteLength)
        response.end('ok')
      },
    )
    const gatedFetch = createGatedFetch(gate, { actionName: 'uploads.put', maxBodyBytes: 8192 })
    const response = await gatedFetch(`${origin}/files/a`, {
      method: 'PUT',
      body: byteStream(8, 1024),
    })
    expect(response.status).toBe(200)
    expect(seen).toEqual([8192])
  })

  it('refuses a GET that carries a body, which no receipt binds', async () => {
    const keys = await gate.keys()
    let executed = 0
    let guarded: ReturnType<typeof nodeReceiptGuard> | undefined
    const server = closes(await listen((request, response) => guarded?.(request, response)))
    const origin = server.origin
    guarded = nodeReceiptGuard({ keys, audience: origin, replay: 'memory' }, (_r, response) => {
      executed += 1
      response.end('ok')
    })
    const sent = await permitted(`${origin}/v1/items`, {}, { audience: origin })
    const status = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const outgoing = httpRequest(`${origin}/v1/items`, {
        method: 'GET',
        headers: { 'writ-receipt': sent.headers.get('writ-receipt')!, 'content-length': '5' },
      })
      outgoing.on('response', (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        )
      })
      outgoing.on('error', reject)
      outgoing.end('hello')
    })
    // A GET with a body can be read two ways (with or without it): refused before any
    // receipt check.
    expect(status.status).toBe(400)
    expect(JSON.parse(status.body).code).toBe('HTTP_REQUEST_AMBIGUOUS')
    expect(executed).toBe(0)
  })

  it('express: refuses when a JSON parser consumed the body first, accepts after express.raw', async () => {
    const keys = await gate.keys()
    let executed = 0
    const app = express()
    const server = closes(await listen((request, response) => app(request, response)))
    const origin = server.origin
    const guard = expressReceiptGuard({
      keys,
      audience: origin,
      replay: 'memory',
      actionName: 'payments.transfer',
    })
    const done = (_request: express.Request, response: express.Response) => {
      executed += 1
      response.json({ ok: true })
    }
    app.post('/parsed', express.json(), guard, done)
    app.post('/raw', express.raw({ type: '*/*', inflate: false }), guard, done)

    const options = { actionName: 'payments.transfer', audience: origin }
    const parsed = await permitted(`${origin}/parsed`, jsonPost(transfer), options)
    const refused = await fetch(parsed)
    expect(refused.status).toBe(403)
    expect((await problemOf(refused))['code']).toBe('BODY_NOT_HASHABLE')

    const raw = await permitted(`${origin}/raw`, jsonPost(transfer), options)
    expect((await fetch(raw)).status).toBe(200)
    expect(executed).toBe(1)
  })
})
