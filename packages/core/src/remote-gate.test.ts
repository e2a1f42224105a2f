/**
 * The remote gate on its own: the authority is a local gate behind an injected `fetch`
 * that speaks the decision API's wire format, so every exchange can be observed and
 * altered. (End-to-end tests against a real `writ serve` are in test/security.)
 */
import { decodeJws } from '@writ/verify/internal'
import { describe, expect, it } from 'vitest'
import type { LocalGate } from './gate.js'
import { createRemoteGate } from './remote-gate.js'
import { createPaymentsGate } from './testing/index.js'
import type { ActionRequest } from './types.js'

const TOKEN = 'agent-token-0123456789abcdef'
const URL_ = 'https://authority.test'

interface Exchange {
  readonly path: string
  readonly body: Record<string, unknown> | undefined
}

/**
 * A `fetch` that answers like `writ serve`: keys at the well-known path, decisions by
 * `gate`. `alter` may rewrite an answer before it is sent.
 */
function authorityFetch(
  gate: LocalGate,
  alter: (answer: Record<string, unknown>, exchange: Exchange) => unknown = (answer) => answer,
) {
  const exchanges: Exchange[] = []
  const fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const path = new URL(String(input)).pathname
    if (path === '/.well-known/writ/keys.json') {
      exchanges.push({ path, body: undefined })
      return Response.json(await gate.keys())
    }
    const body = JSON.parse(String(init?.body)) as Record<string, unknown>
    exchanges.push({ path, body })
    const { action, args, request, audience, context } = body
    const decision = await gate.authorize({
      action: action as string,
      args,
      ...(request === undefined ? {} : { request: request as string }),
      ...(audience === undefined ? {} : { audience: audience as string }),
      ...(context === undefined ? {} : { context: context as never }),
    })
    const answer = {
      decision: decision.decision,
      reason: decision.reason,
      rule: decision.rule,
      receipt: decision.receipt,
    }
    return Response.json(alter(answer, { path, body }))
  }
  return { fetch: fetch as typeof globalThis.fetch, exchanges }
}

function codeOf(error: unknown): { code: unknown; member: unknown } {
  const { code, details } = error as { code?: unknown; details?: Record<string, unknown> }
  return { code, member: details?.['member'] }
}

const transfer: ActionRequest = { action: 'payments.transfer', args: { to: 'bob', amount: 5 } }

describe('createRemoteGate', () => {
  it('sends a fresh request id with every call and returns the checked PERMIT', async () => {
    const gate = createPaymentsGate()
    const authority = authorityFetch(gate)
    const remote = createRemoteGate({ url: URL_, token: TOKEN, fetch: authority.fetch })
    const first = await remote.authorize(transfer)
    const second = await remote.authorize(transfer)
    expect([first.decision, second.decision]).toEqual(['PERMIT', 'PERMIT'])
    const sent = authority.exchanges.filter((exchange) => exchange.body !== undefined)
    const ids = sent.map((exchange) => exchange.body?.['request'])
    expect(new Set(ids).size).toBe(2)
    expect([first.claims.req, second.claims.req]).toEqual(ids)
    // Object arguments travel as their canonical text.
    expect(sent[0]?.body?.['args']).toBe('{"amount":5,"to":"bob"}')
  })

  it('refuses a PERMIT answering another request id, and one whose jti it has seen', async () => {
    const gate = createPaymentsGate()
    let previous: Record<string, unknown> | undefined
    const authority = authorityFetch(gate, (answer) => {
      const replayed = previous ?? answer
      previous = answer
      return replayed
    })
    const remote = createRemoteGate({ url: URL_, token: TOKEN, fetch: authority.fetch })
    expect((await remote.authorize(transfer)).decision).toBe('PERMIT')
    expect(codeOf(await remote.authorize(transfer).catch((error) => error))).toEqual({
      code: 'AUTHORITY_RESPONSE_INVALID',
      member: 'REQUEST_MISMATCH',
    })
    // Same caller-chosen request id both times: only the memory of jti refuses the replay.
    const fixed = createRemoteGate({
      url: URL_,
      token: TOKEN,
      fetch: authorityFetch(gate, (answer) => {
        previous ??= answer
        return previous
      }).fetch,
    })
    previous = undefined
    await fixed.authorize({ ...transfer, request: 'req-1' })
    expect(
      codeOf(await fixed.authorize({ ...transfer, request: 'req-1' }).catch((error) => error)),
    ).toEqual({ code: 'AUTHORITY_RESPONSE_INVALID', member: 'jti' })
  })

  it('refuses a PERMIT for other arguments, another action or another audience', async () => {
    const gate = createPaymentsGate()
    const cases: Array<[string, (body: Record<string, unknown>) => Record<string, unknown>]> = [
      ['ARGS_MISMATCH', (body) => ({ ...body, args: '{"to":"bob","amount":6}' })],
      ['ACTION_MISMATCH', (body) => ({ ...body, action: 'reports.read', args: '{}' })],
      ['AUDIENCE_MISMATCH', (body) => ({ ...body, audience: 'https://elsewhere.test' })],
    ]
    for (const [member, rewrite] of cases) {
      const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
        if (init?.body === undefined) return Response.json(await gate.keys())
        const body = rewrite(JSON.parse(String(init.body)))
        return authorityFetch(gate).fetch(input, { ...init, body: JSON.stringify(body) })
      }
      const remote = createRemoteGate({
        url: URL_,
        token: TOKEN,
        fetch: fetch as typeof globalThis.fetch,
      })
      let ran = false
      const error = await remote
        .guard(transfer, () => {
          ran = true
        })
        .catch((caught) => caught)
      expect([member, codeOf(error)]).toEqual([
        member,
        { code: 'AUTHORITY_RESPONSE_INVALID', member },
      ])
      expect(ran).toBe(false)
    }
  })

  it("turns invalid input into the authority's DENY receipt, with the local problem", async () => {
    const gate = createPaymentsGate()
    const remote = createRemoteGate({ url: URL_, token: TOKEN, fetch: authorityFetch(gate).fetch })
    const decision = await remote.authorize({
      action: 'payments.transfer',
      args: { to: 'bob', amount: Number.NaN },
    })
    expect([decision.decision, decision.reason]).toEqual(['DENY', 'INPUT_INVALID'])
    expect(decision.decision === 'DENY' && decision.problem?.code).toBe('INPUT_NON_FINITE_NUMBER')
  })

  it("maps the authority's refusals to stable codes, and unknown ones to AUTHORITY_UNAVAILABLE", async () => {
    const answers: Array<[number, unknown, string]> = [
      [401, { code: 'UNAUTHENTICATED' }, 'UNAUTHENTICATED'],
      [429, { code: 'RATE_LIMITED' }, 'RATE_LIMITED'],
      [503, { code: 'STORE_UNAVAILABLE' }, 'STORE_UNAVAILABLE'],
      [500, { code: 'SOMETHING_NEW' }, 'AUTHORITY_UNAVAILABLE'],
      [200, { decision: 'PERMIT' }, 'AUTHORITY_RESPONSE_INVALID'],
      [200, ['not', 'an', 'object'], 'AUTHORITY_RESPONSE_INVALID'],
    ]
    for (const [status, body, code] of answers) {
      const remote = createRemoteGate({
        url: URL_,
        token: TOKEN,
        keys: await createPaymentsGate().keys(),
        fetch: (async () => Response.json(body, { status })) as typeof globalThis.fetch,
      })
      expect(codeOf(await remote.authorize(transfer).catch((error) => error)).code).toBe(code)
    }
  })

  it('fetches the key set again when a receipt names a key it has not seen', async () => {
    const gate = createPaymentsGate()
    const authority = authorityFetch(gate)
    const remote = createRemoteGate({ url: URL_, token: TOKEN, fetch: authority.fetch })
    await remote.authorize(transfer)
    gate.keyRing.rotate()
    const after = await remote.authorize(transfer)
    expect(decodeJws(after.receipt).header.kid).toBe(gate.keyRing.active.kid)
    const keyFetches = authority.exchanges.filter((exchange) => exchange.body === undefined)
    expect(keyFetches).toHaveLength(2)
  })

  it('with pinned keys, never fetches keys and refuses a receipt of another key', async () => {
    const gate = createPaymentsGate()
    const pinned = await gate.keys()
    const authority = authorityFetch(gate)
    const remote = createRemoteGate({
      url: URL_,
      token: TOKEN,
      keys: pinned,
      fetch: authority.fetch,
    })
    await remote.authorize(transfer)
    gate.keyRing.rotate()
    expect(codeOf(await remote.authorize(transfer).catch((error) => error)).code).toBe(
      'AUTHORITY_RESPONSE_INVALID',
    )
    expect(authority.exchanges.every((exchange) => exchange.body !== undefined)).toBe(true)
  })

  it('one deadline covers the decision and the key fetch', async () => {
    const gate = createPaymentsGate()
    const decided = authorityFetch(gate)
    const fetch = async (input: RequestInfo | URL, init?: RequestInit) => {
      if (init?.body !== undefined) return decided.fetch(input, init)
      // The key set never answers; only the call's own deadline ends the wait.
      return new Promise<Response>((_resolve, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason))
      })
    }
    const remote = createRemoteGate({
      url: URL_,
      token: TOKEN,
      timeoutMs: 50,
      fetch: fetch as typeof globalThis.fetch,
    })
    expect(codeOf(await remote.authorize(transfer).catch((error) => error)).code).toBe(
      'GATE_TIMEOUT',
    )
  })
})
