/**
 * A remote authority's answer is checked, not trusted: an authentic PERMIT replayed by
 * someone on the path (a proxy, a compromised cache) must not authorize a new call.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type ActionRequest, compilePolicy, createRemoteGate } from '@writ/core'
import { isTrustedKeyLocation } from '@writ/core/internal'
import { hashToken, startAuthorityServer } from '@writ/server'
import { verifyReceipt, WritError } from '@writ/verify'
import { afterEach, describe, expect, it } from 'vitest'
import { makeGate, rejectionCode, thrownCode } from './support.js'

const AGENT_TOKEN = 'agent-token-0123456789abcdef'
const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()))
})

async function listen(server: Server): Promise<string> {
  closers.push(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** What `promise` rejects with, as a `WritError`. */
async function rejection(promise: Promise<unknown>): Promise<WritError> {
  try {
    await promise
  } catch (error) {
    if (WritError.isInstance(error)) return error
    throw error
  }
  throw new Error('expected a rejection')
}

const servers: Server[] = []
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
  )
})

/** A server on 127.0.0.1 that answers every decision request with `answer`. */
async function replayingAuthority(answer: () => unknown): Promise<string> {
  const server = createServer((request, response) => {
    request.resume()
    request.on('end', () => {
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end(JSON.stringify(answer()))
    })
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

describe('remote gate against replayed answers', () => {
  it('refuses an authentic but expired PERMIT for the same action and arguments', async () => {
    const start = Date.UTC(2030, 0, 1)
    const authority = makeGate({ clock: () => start, ttlSeconds: 60 })
    const old = await authority.authorize({ action: 'payments.transfer', args: { amount: 5 } })
    expect(old.decision).toBe('PERMIT')
    const url = await replayingAuthority(() => ({ decision: old.decision, receipt: old.receipt }))
    const remote = createRemoteGate({
      url,
      token: AGENT_TOKEN,
      keys: await authority.keys(),
      clock: () => start + 3_600_000,
    })
    let ran = false
    const code = await rejectionCode(
      remote.guard({ action: 'payments.transfer', args: { amount: 5 } }, () => {
        ran = true
      }),
    )
    expect(code).toBe('AUTHORITY_RESPONSE_INVALID')
    expect(ran).toBe(false)
  })

  it('refuses a PERMIT for another request id, audience or HTTP request', async () => {
    const authority = makeGate({
      policy: compilePolicy(`
writ: 1
id: http-transfers
rules:
  - id: pay
    effect: permit
    actions: [payments.transfer]
`),
    })
    const keys = await authority.keys()
    const httpRequest = {
      method: 'POST',
      uri: 'https://pay.example/v1/transfers',
      contentType: 'application/json',
      body: new TextEncoder().encode('{"amount":5}'),
    }
    const base = {
      action: 'payments.transfer',
      request: 'req-1',
      audience: 'https://pay.example',
      httpRequest,
    }
    const issued = await authority.authorize(base)
    expect(issued.decision).toBe('PERMIT')
    const url = await replayingAuthority(() => ({ decision: 'PERMIT', receipt: issued.receipt }))
    // Each case runs on a fresh client, so the check that fails is the one named (not
    // the memory of a jti seen before, which refuses every second use anyway).
    const fresh = () => createRemoteGate({ url, token: AGENT_TOKEN, keys })
    await expect(fresh().authorize(base)).resolves.toMatchObject({ decision: 'PERMIT' })
    const cases: Array<[string, ActionRequest]> = [
      ['REQUEST_MISMATCH', { ...base, request: 'req-2' }],
      ['REQUEST_MISMATCH', { action: base.action, audience: base.audience, httpRequest }],
      ['AUDIENCE_MISMATCH', { ...base, audience: 'https://other.example' }],
      ['AUDIENCE_MISMATCH', { action: base.action, request: base.request, httpRequest }],
      [
        'ARGS_MISMATCH',
        {
          ...base,
          httpRequest: { ...httpRequest, uri: 'https://pay.example/v1/transfers?to=mallory' },
        },
      ],
      [
        'ARGS_MISMATCH',
        {
          action: base.action,
          request: base.request,
          audience: base.audience,
          args: { amount: 5 },
        },
      ],
    ]
    for (const [check, variant] of cases) {
      let ran = false
      const error = await rejection(
        fresh().guard(variant, () => {
          ran = true
        }),
      )
      expect([check, error.code, error.details?.['member']]).toEqual([
        check,
        'AUTHORITY_RESPONSE_INVALID',
        check,
      ])
      expect(ran).toBe(false)
    }
    // The same client asked twice with the same request id: the second answer is a replay.
    const once = fresh()
    await once.authorize(base)
    const replay = await rejection(once.authorize(base))
    expect([replay.code, replay.details?.['member']]).toEqual(['AUTHORITY_RESPONSE_INVALID', 'jti'])
  })

  it('refuses a PERMIT that binds other arguments or another action, and malformed answers', async () => {
    const authority = makeGate()
    const keys = await authority.keys()
    const issued = await authority.authorize({ action: 'payments.transfer', args: { amount: 5 } })
    const answers: unknown[] = [
      { decision: 'PERMIT', receipt: issued.receipt },
      { decision: 'PERMIT' },
      { decision: 'PERMIT', receipt: 42 },
      { decision: 'PERMIT', receipt: `${issued.receipt}x` },
      'PERMIT',
      null,
    ]
    let next = 0
    const url = await replayingAuthority(() => answers[next++])
    const remote = createRemoteGate({ url, token: AGENT_TOKEN, keys })
    const codes: string[] = []
    let ran = false
    for (let index = 0; index < answers.length; index++) {
      codes.push(
        await rejectionCode(
          remote.guard({ action: 'payments.transfer', args: { amount: 6 } }, () => {
            ran = true
          }),
        ),
      )
    }
    expect(ran).toBe(false)
    expect(codes).toEqual(Array(answers.length).fill('AUTHORITY_RESPONSE_INVALID'))
  })
})

describe('remote gate key trust', () => {
  it.each([
    'http://authority.internal:8787',
    'http://127.attacker.example',
    'http://127.0.0.1.attacker.example:8787',
    'http://localhost.attacker.example',
    'http://[::ffff:7f00:1]:8787',
  ])('refuses to fetch keys over plain http from %s', (url) => {
    expect(thrownCode(() => createRemoteGate({ url, token: AGENT_TOKEN }))).toBe('KEY_MISSING')
  })

  it.each([
    'https://authority.internal',
    'http://127.0.0.1:8787',
    'http://127.9.8.7:8787',
    'http://2130706433:8787',
    'http://localhost:8787',
    'http://[::1]:8787',
  ])('allows fetching keys from %s, and pinned keys anywhere', (url) => {
    expect(createRemoteGate({ url, token: AGENT_TOKEN })).toBeTypeOf('object')
    expect(isTrustedKeyLocation(url)).toBe(true)
    expect(
      createRemoteGate({
        url: 'http://authority.internal:8787',
        token: AGENT_TOKEN,
        keys: makeGate().verifyKeys(),
      }),
    ).toBeTypeOf('object')
  })

  it('validates its options', () => {
    const cases: Array<[string, unknown]> = [
      ['url', { url: 'ftp://x', token: AGENT_TOKEN }],
      ['url', { url: 'not a url', token: AGENT_TOKEN }],
      ['token', { url: 'https://a.test', token: 'short' }],
      ['token', { url: 'https://a.test', token: 42 }],
      ['timeoutMs', { url: 'https://a.test', token: AGENT_TOKEN, timeoutMs: -1 }],
      ['timeoutMs', { url: 'https://a.test', token: AGENT_TOKEN, timeoutMs: Number.NaN }],
      ['fetch', { url: 'https://a.test', token: AGENT_TOKEN, fetch: 'yes' }],
    ]
    for (const [option, options] of cases) {
      const error = (() => {
        try {
          createRemoteGate(options as never)
        } catch (caught) {
          return caught as { code?: string; details?: Record<string, unknown> }
        }
        return undefined
      })()
      expect([option, error?.code, error?.details?.['option']]).toEqual([
        option,
        'GATE_ERROR',
        option,
      ])
    }
  })
})

describe('remote gate behaves as a local gate', () => {
  async function live(gate = makeGate()) {
    const authority = await startAuthorityServer({
      gate,
      agents: [{ agent: 'agent:bot', tokenSha256: hashToken(AGENT_TOKEN) }],
    })
    closers.push(() => authority.close())
    return authority
  }

  /** A remote gate with pinned keys in front of a live authority over `gate`. */
  async function remoteOf(gate = makeGate()) {
    const authority = await live(gate)
    return createRemoteGate({ url: authority.url, token: AGENT_TOKEN, keys: await gate.keys() })
  }

  it("invalid input resolves to the authority's DENY INPUT_INVALID receipt", async () => {
    const gate = makeGate()
    const remote = await remoteOf(gate)
    const inputs: unknown[] = [
      { action: 'payments.transfer', args: { amount: Number.NaN } },
      { action: 'payments.transfer', args: '{"amount":1,"amount":2}' },
      { action: 'payments.transfer', args: { __proto__: null, constructor: 1 } },
      { action: 42, args: {} },
      { action: 'payments.transfer\u200b', args: { amount: 1 } },
      { action: 'http.post', httpRequest: { method: 'POST', uri: 'https://x.test/a%2Fb' } },
    ]
    for (const input of inputs) {
      const decision = await remote.authorize(input as ActionRequest)
      expect([decision.decision, decision.reason]).toEqual(['DENY', 'INPUT_INVALID'])
      await expect(verifyReceipt(decision.receipt, gate.verifyKeys())).resolves.toMatchObject({
        claims: { decision: 'DENY' },
      })
    }
    expect((await gate.store.head(gate.chainId)).seq).toBe(inputs.length)
  })

  it('refuses an agent member: the token decides the agent', async () => {
    const remote = await remoteOf()
    expect(
      await rejectionCode(
        remote.authorize({
          action: 'payments.transfer',
          args: { amount: 1 },
          agent: 'agent:admin',
        }),
      ),
    ).toBe('AGENT_NOT_ACCEPTED')
  })

  it('one deadline covers a call whose key fetch never answers', async () => {
    const gate = makeGate()
    const issued = await gate.authorize({ action: 'payments.transfer', args: { amount: 5 } })
    const hanging = createServer((request, response) => {
      if (request.url === '/v1/decisions') {
        request.resume()
        request.on('end', () => {
          response.writeHead(200, { 'content-type': 'application/json' })
          response.end(JSON.stringify({ decision: 'PERMIT', receipt: issued.receipt }))
        })
      }
      // The key set is never answered.
    })
    const url = await listen(hanging)
    const remote = createRemoteGate({ url, token: AGENT_TOKEN, timeoutMs: 300 })
    expect(
      await rejectionCode(remote.authorize({ action: 'payments.transfer', args: { amount: 5 } })),
    ).toBe('GATE_TIMEOUT')
  })

  it('fetches the key set again after the authority rotates its key', async () => {
    const gate = makeGate()
    const authority = await live(gate)
    const remote = createRemoteGate({ url: authority.url, token: AGENT_TOKEN })
    const ran: number[] = []
    const pay = (amount: number) =>
      remote.guard({ action: 'payments.transfer', args: { amount } }, (args) => {
        ran.push(args['amount'] as number)
      })
    await pay(1)
    gate.keyRing.rotate()
    await pay(2)
    expect(ran).toEqual([1, 2])
  })
})
