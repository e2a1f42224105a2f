import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { digestOf } from './digest.js'
import { WritError } from './errors.js'
import {
  checkOrigin,
  type HttpRequestView,
  httpRequestView,
  normalizeHttpUri,
  receivedHttpRequestView,
  removeDotSegments,
} from './http-view.js'

const utf8 = (text: string) => new TextEncoder().encode(text)

function codeOf(run: () => unknown): string | undefined {
  try {
    run()
    return undefined
  } catch (error) {
    if (WritError.isInstance(error)) return error.code
    throw error
  }
}

describe('normalizeHttpUri', () => {
  it('lower-cases scheme and host, drops default ports and the fragment', () => {
    expect(normalizeHttpUri('HTTPS://Pay.Example.COM:443/v1/x?a=1#frag').uri).toBe(
      'https://pay.example.com/v1/x?a=1',
    )
    expect(normalizeHttpUri('http://h:80').uri).toBe('http://h/')
    expect(normalizeHttpUri('http://h:8080/').port).toBe(8080)
  })

  it('decodes unreserved characters, upper-cases other encodings, removes dot-segments', () => {
    expect(normalizeHttpUri('https://h/v1/%61dmin/%7e/%3a').path).toBe('/v1/admin/~/%3A')
    expect(normalizeHttpUri('https://h/v1/x/../transfers').path).toBe('/v1/transfers')
    expect(normalizeHttpUri('https://h/v1/%2e%2E/admin').path).toBe('/admin')
    expect(normalizeHttpUri('https://h/a|b?q=a|b').uri).toBe('https://h/a%7Cb?q=a%7Cb')
  })

  it('refuses what readers could resolve differently', () => {
    for (const uri of [
      'https://user@h/x',
      'https://h/v1%2Fadmin',
      'https://h/v1%5cadmin',
      'https://h/v1\\admin',
      'https://h\\evil/x',
      'https://h./x',
      'https://h:0443/x',
    ]) {
      expect(
        codeOf(() => normalizeHttpUri(uri)),
        uri,
      ).toBe('HTTP_REQUEST_AMBIGUOUS')
    }
    for (const uri of ['/relative', 'ftp://h/x', 'https://h/a b', 'https://h/%zz', 'https://h/é']) {
      expect(
        codeOf(() => normalizeHttpUri(uri)),
        uri,
      ).toBe('HTTP_REQUEST_INVALID')
    }
  })

  it('removeDotSegments follows RFC 3986 §5.2.4 examples', () => {
    expect(removeDotSegments('/a/b/c/./../../g')).toBe('/a/g')
    expect(removeDotSegments('mid/content=5/../6')).toBe('mid/6')
  })
})

describe('httpRequestView', () => {
  const request = {
    method: 'POST',
    uri: 'https://pay.example/v1/transfers?dry=1&tag=a&tag=b',
    contentType: 'application/json; charset=utf-8',
    body: utf8('{"to":"alice","amount":250}'),
  }

  it('derives arguments and binding from the one request', () => {
    const view = httpRequestView(request)
    expect(view.args).toEqual({
      method: 'POST',
      url: 'https://pay.example/v1/transfers?dry=1&tag=a&tag=b',
      scheme: 'https',
      host: 'pay.example',
      port: 443,
      path: '/v1/transfers',
      query: { dry: '1', tag: ['a', 'b'] },
      contentType: 'application/json',
      body: { to: 'alice', amount: 250 },
    })
    expect(view.binding).toEqual({
      method: 'POST',
      uri: 'https://pay.example/v1/transfers?dry=1&tag=a&tag=b',
      body: digestOf(request.body),
    })
    expect(Object.isFrozen(view.args)).toBe(true)
  })

  it('reads form bodies as pairs, and other bodies only by digest', () => {
    const form = httpRequestView({
      ...request,
      contentType: 'application/x-www-form-urlencoded',
      body: utf8('to=mallory&amount=5'),
    })
    expect(form.args['body']).toEqual({ to: 'mallory', amount: '5' })
    const csv = httpRequestView({ ...request, contentType: 'text/csv', body: utf8('a,b\n1,2') })
    expect(csv.args['body']).toBeUndefined()
    expect(csv.binding.body).toBe(digestOf('a,b\n1,2'))
  })

  it('refuses a JSON body the policy and a lenient framework would read differently', () => {
    const json = utf8('{"to":"mallory"}')
    expect(
      codeOf(() => httpRequestView({ ...request, contentType: 'text/plain', body: json })),
    ).toBe('HTTP_REQUEST_AMBIGUOUS')
    expect(codeOf(() => httpRequestView({ ...request, contentType: null, body: json }))).toBe(
      'HTTP_REQUEST_AMBIGUOUS',
    )
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...json])
    expect(codeOf(() => httpRequestView({ ...request, body: bom }))).toBe('HTTP_REQUEST_AMBIGUOUS')
    expect(
      codeOf(() => httpRequestView({ ...request, body: utf8('{"to":"a","to":"mallory"}') })),
    ).toBe('INPUT_DUPLICATE_KEY')
    expect(
      codeOf(() => httpRequestView({ ...request, contentType: 'application/json, text/plain' })),
    ).toBe('HTTP_REQUEST_AMBIGUOUS')
    expect(
      codeOf(() =>
        httpRequestView({ ...request, contentType: 'application/json; charset=utf-16' }),
      ),
    ).toBe('HTTP_REQUEST_AMBIGUOUS')
    expect(codeOf(() => httpRequestView({ method: 'GET', uri: request.uri, body: json }))).toBe(
      'HTTP_REQUEST_AMBIGUOUS',
    )
  })

  it('refuses __proto__ in query or body, and oversized bodies', () => {
    expect(codeOf(() => httpRequestView({ method: 'GET', uri: 'https://h/x?__proto__=1' }))).toBe(
      'INPUT_FORBIDDEN_KEY',
    )
    expect(
      codeOf(() => httpRequestView({ ...request, body: new Uint8Array(10) }, { maxBodyBytes: 5 })),
    ).toBe('BODY_TOO_LARGE')
    expect(codeOf(() => httpRequestView({ ...request, method: 'post' }))).toBe(
      'HTTP_REQUEST_INVALID',
    )
  })
})

describe('receivedHttpRequestView', () => {
  const origin = 'https://pay.example'
  const base = {
    method: 'POST',
    hostHeaders: ['pay.example'],
    contentType: 'application/json',
    body: utf8('{"amount":10}'),
  }

  it('resolves the target against the configured origin, never the Host header', () => {
    const view = receivedHttpRequestView(
      { ...base, target: '/v1/transfers?x=1', hostHeaders: ['evil.example'] },
      { origin },
    )
    expect(view.binding.uri).toBe('https://pay.example/v1/transfers?x=1')
  })

  it('refuses ambiguous targets and Host headers', () => {
    const cases: Array<[string, readonly string[]]> = [
      ['/v1/x/../admin', ['pay.example']],
      ['/v1/%61dmin', ['pay.example']],
      ['//evil.example/v1/transfers', ['pay.example']],
      ['http://evil.example/v1/transfers', ['pay.example']],
      ['/v1/transfers#x', ['pay.example']],
      ['/v1/transfers', ['pay.example/v1/transfers#']],
      ['/v1/transfers', ['pay.example\\x']],
      ['/v1/transfers', ['pay.example', 'other.example']],
      ['/v1/transfers', ['a b']],
    ]
    for (const [target, hostHeaders] of cases) {
      expect(
        codeOf(() => receivedHttpRequestView({ ...base, target, hostHeaders }, { origin })),
        `${target} ${hostHeaders.join('|')}`,
      ).toBe('HTTP_REQUEST_AMBIGUOUS')
    }
  })

  it('with lenient routing, accepts only paths that read the same both ways', () => {
    for (const target of ['/V1/ADMIN/wipe', '/v1/data/wipe/']) {
      expect(
        codeOf(() => receivedHttpRequestView({ ...base, target }, { origin, routing: 'lenient' })),
      ).toBe('HTTP_REQUEST_AMBIGUOUS')
      expect(receivedHttpRequestView({ ...base, target }, { origin }).binding.uri).toContain(target)
    }
  })

  it('checkOrigin accepts exactly an origin', () => {
    expect(checkOrigin('HTTPS://Pay.Example:443/')).toBe('https://pay.example')
    for (const bad of ['pay-api', 'https://h/path', 'https://h?x', 'https://u@h']) {
      expect(
        codeOf(() => checkOrigin(bad)),
        bad,
      ).toBe('RECEIVER_ERROR')
    }
  })
})

// ---- Property: the two sides agree, or the receiver refuses ---------------------------

const segmentChars = fc.constantFrom(
  'a',
  'b',
  'A',
  'Z',
  '0',
  '-',
  '.',
  '_',
  '~',
  '%61',
  '%41',
  '%2e',
  '%2E',
  '%2F',
  '%5C',
  '%20',
  '%7e',
  '..',
  '.',
  '|',
  ':',
  '@',
  '!',
  '%',
  "'",
  '\\',
  '+',
  ';',
)
const segment = fc
  .array(segmentChars, { minLength: 0, maxLength: 4 })
  .map((parts) => parts.join(''))
const rawPath = fc
  .array(segment, { minLength: 1, maxLength: 5 })
  .map((parts) => `/${parts.join('/')}`)
const queryPart = fc.array(
  fc.tuple(
    fc.constantFrom('to', 'amount', 'TO', '__proto__', 'a b', 'x%20y', 'q'),
    fc.constantFrom('mallory', '1', '%41', "it's", 'a+b', '%2B', '', '[x]'),
  ),
  { maxLength: 3 },
)
const query = queryPart.map((pairs) =>
  pairs.length === 0 ? '' : `?${pairs.map(([k, v]) => `${k}=${v}`).join('&')}`,
)
const host = fc.constantFrom('pay.example', 'PAY.example', 'pay.example:443', 'pay.example:8443')
const contentType = fc.constantFrom(
  'application/json',
  'text/plain',
  'application/problem+json',
  'application/x-www-form-urlencoded',
  null,
)
const body = fc.constantFrom(
  '',
  '{"amount":10}',
  'amount=10',
  '\ufeff{"amount":10}',
  '{"a":1,"a":2}',
  'plain',
)
const routing = fc.constantFrom('exact' as const, 'lenient' as const)

function tryView(run: () => HttpRequestView): HttpRequestView | undefined {
  try {
    return run()
  } catch (error) {
    if (WritError.isInstance(error)) return undefined
    throw error
  }
}

describe('one request, one view (property)', () => {
  it('what a receiver accepts is exactly what the sender was decided on, and what its router sees', () => {
    fc.assert(
      fc.property(
        rawPath,
        query,
        host,
        contentType,
        body,
        routing,
        (path, q, h, type, text, mode) => {
          const method = text === '' ? 'GET' : 'POST'
          const request = {
            method,
            uri: `https://${h}${path}${q}`,
            contentType: type,
            body: utf8(text),
          }
          const sent = tryView(() => httpRequestView(request))
          if (sent === undefined) return
          // The sender sends the normalized URI; the receiver reads its path and query as
          // Node gives them (raw) and as a Fetch-API server gives them (WHATWG URL).
          const wire = new URL(sent.binding.uri)
          const origin = wire.origin
          for (const target of [
            sent.binding.uri.slice(origin.length),
            `${wire.pathname}${wire.search}`,
          ]) {
            const received = tryView(() =>
              receivedHttpRequestView(
                { method, target, hostHeaders: [wire.host], contentType: type, body: utf8(text) },
                { origin, routing: mode },
              ),
            )
            if (mode === 'exact') expect(received).toBeDefined()
            if (received === undefined) continue
            expect(received.argsDigest).toBe(sent.argsDigest)
            expect(received.binding).toEqual(sent.binding)
          }
        },
      ),
      { numRuns: 2000 },
    )
  })

  it('any raw target a receiver accepts is read the same by the policy and by the router', () => {
    fc.assert(
      fc.property(rawPath, query, contentType, body, routing, (path, q, type, text, mode) => {
        const target = `${path}${q}`
        const method = text === '' ? 'GET' : 'POST'
        const view = tryView(() =>
          receivedHttpRequestView(
            { method, target, hostHeaders: ['pay.example'], contentType: type, body: utf8(text) },
            { origin: 'https://pay.example', routing: mode },
          ),
        )
        if (view === undefined) return
        const policyPath = view.args['path']
        // Express matches the raw path; WHATWG-based servers (Hono) the parsed one.
        expect(path).toBe(policyPath)
        expect(new URL(target, 'https://pay.example').pathname).toBe(policyPath)
        if (mode === 'lenient') {
          expect(path).toBe(path.toLowerCase())
          expect(path === '/' || !path.endsWith('/')).toBe(true)
        }
      }),
      { numRuns: 2000 },
    )
  })
})
