/**
 * A remote authority's answer is checked, not trusted: an authentic PERMIT replayed by
 * someone on the path (a proxy, a compromised cache) must not authorize a new call.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createRemoteGate } from '@writ/core'
import { afterEach, describe, expect, it } from 'vitest'
import { makeGate, rejectionCode } from './support.js'

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
      token: 'agent-token',
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
    const authority = makeGate()
    const keys = await authority.keys()
    const body = `sha256:${'a'.repeat(64)}` as const
    const issued = await authority.authorize({
      action: 'payments.transfer',
      args: { amount: 5 },
      request: 'req-1',
      audience: 'https://pay.example',
      http: { method: 'POST', uri: 'https://pay.example/v1/transfers', body },
    })
    expect(issued.decision).toBe('PERMIT')
    const url = await replayingAuthority(() => ({ decision: 'PERMIT', receipt: issued.receipt }))
    const remote = createRemoteGate({ url, token: 'agent-token', keys })
    const base = {
      action: 'payments.transfer',
      args: { amount: 5 },
      request: 'req-1',
      audience: 'https://pay.example',
      http: { method: 'POST', uri: 'https://pay.example/v1/transfers', body },
    }
    await expect(remote.authorize(base)).resolves.toMatchObject({ decision: 'PERMIT' })
    for (const variant of [
      { ...base, request: 'req-2' },
      { ...base, audience: 'https://other.example' },
      { action: base.action, args: base.args, request: base.request, http: base.http },
      { ...base, http: { ...base.http, uri: 'https://pay.example/v1/transfers?to=mallory' } },
      { action: base.action, args: base.args, request: base.request, audience: base.audience },
    ]) {
      let ran = false
      const code = await rejectionCode(
        remote.guard(variant, () => {
          ran = true
        }),
      )
      expect(code).toBe('AUTHORITY_RESPONSE_INVALID')
      expect(ran).toBe(false)
    }
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
    const remote = createRemoteGate({ url, token: 'agent-token', keys })
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
  it('refuses to fetch keys on first use over plain http from a non-loopback host', () => {
    let code: unknown
    try {
      createRemoteGate({ url: 'http://authority.internal:8787', token: 'token-0123456789abcdef' })
    } catch (error) {
      code = (error as { code?: unknown }).code
    }
    expect(code).toBe('KEY_MISSING')
  })

  it('allows fetching keys on first use over https or loopback, and pinned keys anywhere', async () => {
    expect(() =>
      createRemoteGate({ url: 'https://authority.internal', token: 'token-0123456789abcdef' }),
    ).not.toThrow()
    expect(() =>
      createRemoteGate({ url: 'http://127.0.0.1:8787', token: 'token-0123456789abcdef' }),
    ).not.toThrow()
    expect(() =>
      createRemoteGate({ url: 'http://[::1]:8787', token: 'token-0123456789abcdef' }),
    ).not.toThrow()
    const authority = makeGate()
    expect(() =>
      createRemoteGate({
        url: 'http://authority.internal:8787',
        token: 'token-0123456789abcdef',
        keys: authority.verifyKeys(),
      }),
    ).not.toThrow()
  })
})
