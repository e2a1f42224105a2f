import { createHash } from 'node:crypto'
import { type Gate, type PermitDecision, refusalOf } from '@writ/core'
import { canonicalArgs, createKeySet, digestOf, verifyReceipt, WritError } from '@writ/verify'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createGatedFetch } from '../src/index.js'
import {
  byteStream,
  capturingFetch,
  jsonPost,
  newGate,
  problemOf,
  type Received,
  type RunningServer,
  recordingGate,
  recordingServer,
} from './support.js'

let server: RunningServer & { received: Received[] }

beforeEach(async () => {
  server = await recordingServer((received, response) => {
    if (received.url !== '/redirect') return false
    response.writeHead(307, { location: '/elsewhere' })
    response.end()
    return true
  })
})

afterEach(async () => {
  await server.close()
})

/** The parts of a gate a test double reuses; methods are bound so they work on their own. */
function gateParts(gate: Gate): Gate {
  return {
    authorize: (request) => gate.authorize(request),
    guard: (request, execute) => gate.guard(request, execute),
    wrap: (name, fn, options) => gate.wrap(name, fn, options),
    keys: () => gate.keys(),
  }
}

function sha256Base64(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('base64')
}

describe('createGatedFetch: permitted requests', () => {
  it('sends the same bytes with the receipt and an RFC 9530 Content-Digest, bound to method, full URI and body', async () => {
    const gate = recordingGate(newGate())
    const gatedFetch = createGatedFetch(gate)
    const body = '{"to":"alice","amount":250.0}'
    const response = await gatedFetch(`${server.origin}/v1/transfers?dry=1#fragment`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    })
    expect(response.status).toBe(200)
    expect(server.received).toHaveLength(1)
    const received = server.received[0]!
    expect(received.body.toString('utf8')).toBe(body)
    expect(received.headers['content-digest']).toBe(`sha-256=:${sha256Base64(Buffer.from(body))}:`)
    const token = received.headers['writ-receipt']
    expect(typeof token).toBe('string')
    const verified = await verifyReceipt(token as string, createKeySet(await gate.keys()))
    expect(verified.claims.decision).toBe('PERMIT')
    expect(verified.claims.act.name).toBe('http.post')
    expect(verified.claims.aud).toBe(server.origin)
    expect(verified.claims.http).toEqual({
      method: 'POST',
      uri: `${server.origin}/v1/transfers?dry=1`,
      body: digestOf(body),
    })
  })

  it('asks the gate about the request itself, and policies see its one view (spec section 10)', async () => {
    const gate = recordingGate(newGate())
    const gatedFetch = createGatedFetch(gate)
    await gatedFetch(
      `${server.origin}/v1/transfers?a=1&b=x&b=y`,
      jsonPost({ to: 'alice', amount: 5 }),
    )
    const request = gate.requests[0]!
    expect(request.action).toBe('http.post')
    expect(request.audience).toBe(server.origin)
    expect(request.args).toBeUndefined()
    expect(request).not.toHaveProperty('http')
    expect(request.httpRequest).toMatchObject({
      method: 'POST',
      uri: `${server.origin}/v1/transfers?a=1&b=x&b=y`,
      contentType: 'application/json',
    })
    const decision = gate.decisions[0] as PermitDecision
    expect(decision.decision).toBe('PERMIT')
    const port = Number(new URL(server.origin).port)
    expect(decision.args).toEqual({
      method: 'POST',
      url: `${server.origin}/v1/transfers?a=1&b=x&b=y`,
      scheme: 'http',
      host: '127.0.0.1',
      port,
      path: '/v1/transfers',
      query: { a: '1', b: ['x', 'y'] },
      contentType: 'application/json',
      body: { to: 'alice', amount: 5 },
    })
  })

  it('shows policies only the allow-listed headers, and no body for a non-JSON content type', async () => {
    const gate = recordingGate(newGate())
    const allowHeaders = ['X-Tenant', 'content-type']
    await createGatedFetch(gate, { allowHeaders })(`${server.origin}/v1/items`, {
      headers: { 'x-tenant': 'acme', authorization: 'Bearer secret' },
    })
    await createGatedFetch(gate, { allowHeaders, actionName: 'uploads.put' })(
      `${server.origin}/v1/upload`,
      { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'plain words' },
    )
    const [read, upload] = gate.decisions.map((decision) => (decision as PermitDecision).args)
    expect(gate.decisions.map((decision) => decision.decision)).toEqual(['PERMIT', 'PERMIT'])
    expect(read!['headers']).toEqual({ 'x-tenant': 'acme' })
    expect(upload!['headers']).toEqual({ 'content-type': 'text/plain' })
    expect(upload!['contentType']).toBe('text/plain')
    expect(upload).not.toHaveProperty('body')
    expect(server.received).toHaveLength(2)
  })

  it('refuses a JSON body sent under a non-JSON content type, which readers could read two ways', async () => {
    const gate = recordingGate(newGate())
    const response = await createGatedFetch(gate, { actionName: 'uploads.put' })(
      `${server.origin}/v1/upload`,
      { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"amount":1}' },
    )
    expect(response.status).toBe(403)
    expect(await problemOf(response)).toMatchObject({ decision: 'DENY', reason: 'INPUT_INVALID' })
    expect(server.received).toHaveLength(0)
  })

  it('refuses a __proto__ query name instead of reading it as data (INPUT_INVALID), sending nothing', async () => {
    const gate = recordingGate(newGate())
    const response = await createGatedFetch(gate)(`${server.origin}/v1/items?__proto__=1`)
    expect(response.status).toBe(403)
    expect(await problemOf(response)).toMatchObject({ decision: 'DENY', reason: 'INPUT_INVALID' })
    expect(server.received).toHaveLength(0)
  })

  it('sends to the normalized URI the receipt binds', async () => {
    const gate = recordingGate(newGate())
    const response = await createGatedFetch(gate)(
      `${server.origin.toUpperCase().replace('HTTP', 'http')}/v1/./a/../items/%7Euser?q=%7e`,
    )
    expect(response.status).toBe(200)
    expect(gate.decisions[0]!.claims.http?.uri).toBe(`${server.origin}/v1/items/~user?q=~`)
    expect(server.received.map((received) => received.url)).toEqual(['/v1/items/~user?q=~'])
  })

  it('reads a stream body within the limit and sends exactly its bytes', async () => {
    const gatedFetch = createGatedFetch(newGate(), {
      actionName: 'uploads.put',
      maxBodyBytes: 4096,
    })
    const response = await gatedFetch(`${server.origin}/upload`, {
      method: 'PUT',
      body: byteStream(4, 1024),
    })
    expect(response.status).toBe(200)
    expect(server.received).toHaveLength(1)
    expect(server.received[0]!.body.equals(Buffer.alloc(4096, 0x61))).toBe(true)
    expect(server.received[0]!.headers['content-digest']).toBe(
      `sha-256=:${sha256Base64(Buffer.alloc(4096, 0x61))}:`,
    )
  })

  it('binds an empty body to the digest of empty bytes', async () => {
    const gate = recordingGate(newGate())
    await createGatedFetch(gate)(`${server.origin}/v1/items`)
    expect(gate.decisions[0]!.claims.http?.body).toBe(digestOf(new Uint8Array(0)))
    expect(server.received[0]!.headers['content-digest']).toBe(
      `sha-256=:${sha256Base64(new Uint8Array(0))}:`,
    )
  })

  it('never follows a redirect: the receipt binds one URI', async () => {
    const response = await createGatedFetch(newGate())(`${server.origin}/redirect`)
    expect(response.status).toBe(307)
    expect(server.received.map((received) => received.url)).toEqual(['/redirect'])
  })

  it('uses options.actionName, options.audience, options.agent and options.context', async () => {
    const gate = recordingGate(newGate())
    const gatedFetch = createGatedFetch(gate, {
      actionName: (request) => `payments.${new URL(request.url).pathname.split('/').at(-1)}`,
      audience: 'https://payments.internal',
      agent: 'billing-bot',
      context: { tenant: 'acme' },
    })
    await gatedFetch(`${server.origin}/v1/transfer`, jsonPost({ to: 'alice', amount: 10 }))
    const request = gate.requests[0]!
    expect(request.action).toBe('payments.transfer')
    expect(request.audience).toBe('https://payments.internal')
    expect(request.agent).toBe('billing-bot')
    expect(request.context).toEqual({ tenant: 'acme' })
    expect(gate.decisions[0]!.claims.sub).toBe('billing-bot')
  })

  it('with a named action, policies still see the whole request, its JSON body at args.body', async () => {
    const gate = recordingGate(newGate())
    const gatedFetch = createGatedFetch(gate, { actionName: 'payments.transfer' })
    const response = await gatedFetch(
      `${server.origin}/tools/transfer`,
      jsonPost({ to: 'alice', amount: 3 }),
    )
    expect(response.status).toBe(200)
    const decision = gate.decisions[0] as PermitDecision
    expect(decision.claims.act.name).toBe('payments.transfer')
    expect(decision.args['path']).toBe('/tools/transfer')
    expect(decision.args['body']).toEqual({ to: 'alice', amount: 3 })
    expect(decision.claims.act.args).toBe(canonicalArgs(decision.args).digest)
  })

  it('fails like fetch when a permitted request cannot be delivered', async () => {
    const closed = await recordingServer()
    await closed.close()
    await expect(createGatedFetch(newGate())(`${closed.origin}/v1/items`)).rejects.toBeInstanceOf(
      TypeError,
    )
  })
})

describe('createGatedFetch: refusals never send', () => {
  it('answers a DENY with a 403 problem+json that names the decision, reason, rule and receipt', async () => {
    const gate = recordingGate(newGate())
    const response = await createGatedFetch(gate)(
      `${server.origin}/v1/transfers`,
      jsonPost({ to: 'mallory', amount: 1 }),
    )
    expect(response.status).toBe(403)
    expect(response.headers.get('content-type')).toBe('application/problem+json')
    const problem = await problemOf(response)
    const deny = gate.decisions[0]!
    expect(problem).toMatchObject({
      type: 'urn:writ:problem:ACTION_REFUSED',
      status: 403,
      code: 'ACTION_REFUSED',
      decision: 'DENY',
      reason: 'SANCTIONED_PAYEE',
      rule: 'no-mallory',
      receipt_id: deny.claims.jti,
      receipt: deny.receipt,
    })
    expect(typeof problem['title']).toBe('string')
    expect(typeof problem['detail']).toBe('string')
    expect(server.received).toHaveLength(0)
  })

  it('treats SILENCE as a refusal', async () => {
    const response = await createGatedFetch(newGate())(
      `${server.origin}/v1/transfers`,
      jsonPost({ to: 'alice', amount: 5000 }),
    )
    expect(response.status).toBe(403)
    expect(await problemOf(response)).toMatchObject({
      decision: 'SILENCE',
      reason: 'CONDITION_FALSE',
    })
    expect(server.received).toHaveLength(0)
  })

  it('rejects with the WritError when onRefusal is throw', async () => {
    const gatedFetch = createGatedFetch(newGate(), { onRefusal: 'throw' })
    const error = await gatedFetch(
      `${server.origin}/v1/transfers`,
      jsonPost({ to: 'mallory', amount: 1 }),
    ).catch((caught: unknown) => caught)
    expect(WritError.isInstance(error)).toBe(true)
    expect((error as WritError).code).toBe('ACTION_REFUSED')
    expect(refusalOf(error)?.reason).toBe('SANCTIONED_PAYEE')
    expect(server.received).toHaveLength(0)
  })

  it('refuses a JSON body that is not I-JSON (duplicate keys) as INPUT_INVALID', async () => {
    const response = await createGatedFetch(newGate())(`${server.origin}/v1/transfers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"to":"alice","amount":10,"amount":100000}',
    })
    expect(response.status).toBe(403)
    expect(await problemOf(response)).toMatchObject({ decision: 'DENY', reason: 'INPUT_INVALID' })
    expect(server.received).toHaveLength(0)
  })

  it('refuses a JSON body that is not UTF-8 as INPUT_INVALID', async () => {
    const response = await createGatedFetch(newGate())(`${server.origin}/v1/transfers`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: new Uint8Array([0x22, 0xff, 0x22]),
    })
    expect(response.status).toBe(403)
    expect(await problemOf(response)).toMatchObject({ decision: 'DENY', reason: 'INPUT_INVALID' })
    expect(server.received).toHaveLength(0)
  })

  it('refuses a stream body over the limit with BODY_TOO_LARGE', async () => {
    const response = await createGatedFetch(newGate(), { maxBodyBytes: 4096 })(
      `${server.origin}/upload`,
      {
        method: 'POST',
        body: byteStream(5, 1024),
      },
    )
    expect(response.status).toBe(403)
    expect(await problemOf(response)).toMatchObject({ code: 'BODY_TOO_LARGE', decision: 'ERROR' })
    expect(server.received).toHaveLength(0)
  })

  it('refuses a body over the default 1 MiB limit', async () => {
    const response = await createGatedFetch(newGate())(`${server.origin}/upload`, {
      method: 'POST',
      body: new Uint8Array(1024 * 1024 + 1),
    })
    expect((await problemOf(response))['code']).toBe('BODY_TOO_LARGE')
    expect(server.received).toHaveLength(0)
  })

  it('refuses a body stream that fails with BODY_NOT_HASHABLE', async () => {
    const failing = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.error(new Error('disk gone'))
      },
    })
    const response = await createGatedFetch(newGate())(`${server.origin}/upload`, {
      method: 'POST',
      body: failing,
    })
    expect((await problemOf(response))['code']).toBe('BODY_NOT_HASHABLE')
    expect(server.received).toHaveLength(0)
  })

  it('refuses with GATE_ERROR when the gate throws', async () => {
    const broken = newGate()
    const gatedFetch = createGatedFetch(
      recordingGate({
        authorize: async () => {
          throw new Error('authority exploded')
        },
        guard: async () => {
          throw new Error('authority exploded')
        },
        wrap: () => async () => {
          throw new Error('authority exploded')
        },
        keys: () => broken.keys(),
      }),
    )
    const response = await gatedFetch(`${server.origin}/v1/items`)
    expect(response.status).toBe(403)
    expect(await problemOf(response)).toMatchObject({
      code: 'GATE_ERROR',
      decision: 'ERROR',
      receipt: null,
    })
    expect(server.received).toHaveLength(0)
  })

  it('refuses with GATE_TIMEOUT when no decision comes in time, and never sends a late PERMIT', async () => {
    const inner = newGate()
    // The decision is held until the test releases it, after the fetch has given up.
    let release: () => void = () => {}
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    const slow = recordingGate({
      ...gateParts(inner),
      authorize: async (request) => {
        await held
        return inner.authorize(request)
      },
    })
    let guarded: Promise<unknown> = Promise.resolve()
    const watched: Gate = {
      ...slow,
      guard: (request, execute) => {
        const outcome = slow.guard(request, execute)
        guarded = outcome
        return outcome
      },
    }
    const response = await createGatedFetch(watched, { timeoutMs: 10 })(`${server.origin}/v1/items`)
    expect(response.status).toBe(403)
    expect((await problemOf(response))['code']).toBe('GATE_TIMEOUT')
    release()
    await expect(guarded).rejects.toMatchObject({ code: 'GATE_TIMEOUT' })
    expect(slow.decisions.map((decision) => decision.decision)).toEqual(['PERMIT'])
    expect(server.received).toHaveLength(0)
  })

  it('refuses when a PERMIT does not bind the request about to leave', async () => {
    const inner = newGate()
    const lying = {
      ...gateParts(inner),
      authorize: (request: Parameters<typeof inner.authorize>[0]) =>
        inner.authorize({
          ...request,
          httpRequest: { ...request.httpRequest!, uri: `${server.origin}/other` },
        }),
    }
    const gatedFetch = createGatedFetch(recordingGate(lying))
    const response = await gatedFetch(`${server.origin}/v1/items`)
    expect(response.status).toBe(403)
    expect((await problemOf(response))['code']).toBe('ARGS_MISMATCH')
    expect(server.received).toHaveLength(0)
  })

  it('refuses when a PERMIT names another audience', async () => {
    const inner = newGate()
    const lying = {
      ...gateParts(inner),
      authorize: (request: Parameters<typeof inner.authorize>[0]) =>
        inner.authorize({ ...request, audience: 'https://elsewhere.example' }),
    }
    const response = await createGatedFetch(recordingGate(lying))(`${server.origin}/v1/items`)
    expect(response.status).toBe(403)
    expect((await problemOf(response))['code']).toBe('AUDIENCE_MISMATCH')
    expect(server.received).toHaveLength(0)
  })

  it('sends nothing when a gate is asked about arguments beside an HTTP binding (the old split)', async () => {
    const inner = newGate()
    const splitting = {
      ...gateParts(inner),
      authorize: (request: Parameters<typeof inner.authorize>[0]) =>
        inner.authorize({
          action: request.action,
          audience: request.audience!,
          args: { to: 'alice', amount: 10 },
          http: { method: 'POST', uri: `${server.origin}/v1/admin`, body: digestOf('') },
        } as Parameters<typeof inner.authorize>[0]),
    }
    const gate = recordingGate(splitting)
    const response = await createGatedFetch(gate)(`${server.origin}/v1/admin`, { method: 'POST' })
    expect(response.status).toBe(403)
    expect(await problemOf(response)).toMatchObject({ decision: 'DENY', reason: 'INPUT_INVALID' })
    expect(server.received).toHaveLength(0)
  })

  it('sends nothing through the underlying fetch on refusal', async () => {
    const capture = capturingFetch()
    const response = await createGatedFetch(newGate(), { fetch: capture.fetch })(
      `${server.origin}/v1/transfers`,
      jsonPost({ to: 'mallory', amount: 1 }),
    )
    expect(response.status).toBe(403)
    expect(capture.requests).toHaveLength(0)
  })
})

describe('createGatedFetch: session', () => {
  it('asks the gate in the session the option names, fixed or per request', async () => {
    const gate = recordingGate(newGate())
    await createGatedFetch(gate, { session: 'run-1' })(`${server.origin}/a`, jsonPost({}))
    await createGatedFetch(gate, {
      session: (request) => `run-${new URL(request.url).pathname.slice(1)}`,
    })(`${server.origin}/b`, jsonPost({}))
    await createGatedFetch(gate)(`${server.origin}/c`, jsonPost({}))
    expect(gate.requests.map((request) => request.session)).toEqual(['run-1', 'run-b', undefined])
  })
})
