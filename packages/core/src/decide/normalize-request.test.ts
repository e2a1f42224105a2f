import { digestOf, type HttpRequestInput } from '@writ/verify'
import { utf8Encode } from '@writ/verify/internal'
import { describe, expect, it } from 'vitest'
import { escapeActionName } from '../action-name-escape.js'
import { type NormalizeSettings, normalizeRequest } from './normalize-request.js'

const settings: NormalizeSettings = {
  defaultAgent: 'agent-default',
  jsonLimits: undefined,
  nextId: () => 'generated-id',
}

describe('normalizeRequest', () => {
  it('binds a valid tool call, filling in the default agent and a fresh request id', () => {
    const normalized = normalizeRequest(
      { action: 'payments.transfer', args: '{"amount":5}' },
      settings,
    )
    expect(normalized).toMatchObject({
      action: 'payments.transfer',
      signedName: 'payments.transfer',
      agent: 'agent-default',
      req: 'generated-id',
      audience: undefined,
      http: undefined,
      problem: undefined,
    })
    expect(normalized.args?.value).toEqual({ amount: 5 })
    expect(normalized.argsDigest).toBe(normalized.args?.digest)
    expect(Object.isFrozen(normalized.context)).toBe(true)
  })

  it('reads every member exactly once', () => {
    const reads = new Map<PropertyKey, number>()
    const values: Record<string, unknown> = {
      action: 'reports.read',
      args: {},
      agent: 'a',
      request: 'r',
      context: { tenant: 't' },
      audience: 'api',
      session: 'run-1',
      refs: { 'mcp.tool': `sha256:${'0'.repeat(64)}` },
    }
    const request = new Proxy(values, {
      get(target, key) {
        reads.set(key, (reads.get(key) ?? 0) + 1)
        return target[key as string]
      },
    })
    const normalized = normalizeRequest(request, settings)
    expect(normalized.problem).toBeUndefined()
    for (const count of reads.values()) expect(count).toBe(1)
    expect([...reads.keys()].sort()).toEqual(
      [
        'action',
        'agent',
        'args',
        'audience',
        'context',
        'http',
        'httpRequest',
        'refs',
        'request',
        'session',
      ].sort(),
    )
  })

  it.each([
    [{ action: 'bad name!', args: {} }, 'action'],
    [{ action: 'reports.read', args: {}, http: { method: 'GET' } }, 'http'],
    [{ action: 'http.get', args: {} }, 'httpRequest'],
    [{ action: 'reports.read', args: '{"a":1,"a":2}' }, '/a'],
    [{ action: 'reports.read', args: {}, agent: 42 }, 'agent'],
    [{ action: 'reports.read', args: {}, request: '' }, 'request'],
    [{ action: 'reports.read', args: {}, audience: '\uD800' }, 'audience'],
    [{ action: 'reports.read', args: {}, context: [] }, 'context'],
  ])('keeps the first problem of %j at %s', (request, path) => {
    const normalized = normalizeRequest(request, settings)
    expect(normalized.problem?.path).toBe(path)
  })

  it('reports the first problem in member order, and still signs a valid agent', () => {
    const normalized = normalizeRequest(
      { action: 'reports.read', args: {}, agent: 'bob', request: 7, audience: 8 },
      settings,
    )
    expect(normalized.problem).toMatchObject({ code: 'INPUT_UNSUPPORTED_TYPE', path: 'request' })
    expect(normalized.agent).toBe('bob')
    expect(normalized.req).toBe('generated-id')
  })

  it('tells a lone surrogate apart from a wrong type', () => {
    const normalized = normalizeRequest({ action: 'a.b', args: {}, agent: 'x\uDC00' }, settings)
    expect(normalized.problem?.code).toBe('INPUT_LONE_SURROGATE')
  })

  it('escapes a refused action name and digests the arguments as received', () => {
    const normalized = normalizeRequest({ action: 'pay\u00e9\n', args: { a: 1 } }, settings)
    expect(normalized.action).toBeUndefined()
    expect(normalized.args).toBeUndefined()
    expect(normalized.signedName).toBe(escapeActionName('pay\u00e9\n'))
    expect(normalized.signedName).not.toBe('pay\u00e9\n')
    expect(normalized.argsDigest).toMatch(/^sha256:[0-9a-f]{64}$/)
  })

  it('derives an HTTP action, its arguments and binding from the request alone', () => {
    const httpRequest: HttpRequestInput = {
      method: 'POST',
      uri: 'https://bank.example/transfers',
      contentType: 'application/json',
      body: utf8Encode('{"amount":5}'),
    }
    const normalized = normalizeRequest({ httpRequest }, settings)
    expect(normalized.problem).toBeUndefined()
    expect(normalized.action).toBe('http.post')
    expect(normalized.http?.body).toBe(digestOf(utf8Encode('{"amount":5}')))
    expect(normalized.args?.value).toMatchObject({ body: { amount: 5 } })
  })

  it('refuses args beside an HTTP request', () => {
    const httpRequest = { method: 'GET', uri: 'https://bank.example/' }
    const normalized = normalizeRequest({ httpRequest, args: {} }, settings)
    expect(normalized.problem).toMatchObject({ code: 'INPUT_SYNTAX', path: 'args' })
  })

  it('treats a request that is not an object as empty', () => {
    const normalized = normalizeRequest(null, settings)
    expect(normalized.problem?.path).toBe('action')
    expect(normalized.agent).toBe('agent-default')
  })
})
