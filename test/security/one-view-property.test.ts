/**
 * Property: over real HTTP, a receiving guard executes a request only when the view it
 * derives equals the one the authority decided on, and its handler then sees the path
 * the policy saw. Requests are generated with encodings, dot-segments, case, trailing
 * slashes, queries, bodies and content types; a PERMIT for one generated request is
 * presented with another. Any difference is refused, never executed.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { compilePolicy, createGate, generateSigningKey } from '@writ/core'
import { expressReceiptGuard } from '@writ/fetch/express'
import { nodeReceiptGuard } from '@writ/fetch/node'
import { httpRequestView } from '@writ/verify'
import express from 'express'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const gate = createGate({
  policy: compilePolicy(`
writ: 1
id: everything
rules:
  - id: all
    effect: permit
    actions: [http.*]
`),
  keys: generateSigningKey(),
  issuer: 'https://authority.property.test',
})

interface Service {
  url: string
  /** Raw targets the handler ran for, with the policy's path beside it. */
  ran: Array<{ target: string; policyPath: unknown }>
}

const servers: Server[] = []
const services: Record<'node' | 'express', Service> = {
  node: { url: '', ran: [] },
  express: { url: '', ran: [] },
}

function listen(server: Server): Promise<string> {
  servers.push(server)
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  )
}

beforeAll(async () => {
  const keys = await gate.keys()
  const node = services.node
  node.url = await listen(
    createServer((request, response) =>
      nodeReceiptGuard({ keys, audience: node.url, replay: 'memory' }, (incoming, out, writ) => {
        node.ran.push({ target: incoming.url ?? '', policyPath: writ.view.args['path'] })
        out.end('ran')
      })(request, response),
    ),
  )
  const viaExpress = services.express
  const app = express()
  app.use((request, response, next) =>
    expressReceiptGuard({ keys, audience: viaExpress.url, replay: 'memory' })(
      request,
      response,
      next,
    ),
  )
  app.use((request, response) => {
    const writ = response.locals['writ'] as { view: { args: Record<string, unknown> } }
    viaExpress.ran.push({ target: request.originalUrl, policyPath: writ.view.args['path'] })
    response.send('ran')
  })
  viaExpress.url = await listen(createServer(app))
})

afterAll(async () => {
  await Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
        }),
    ),
  )
})

function send(
  base: string,
  target: string,
  headers: Record<string, string>,
  body: string,
): Promise<number> {
  const url = new URL(base)
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      { host: url.hostname, port: url.port, method: 'POST', path: target, headers },
      (response: IncomingMessage) => {
        response.resume()
        response.on('end', () => resolve(response.statusCode ?? 0))
      },
    )
    outgoing.on('error', reject)
    outgoing.end(body)
  })
}

const piece = fc.constantFrom(
  'v1',
  'V1',
  'admin',
  'ADMIN',
  'transfers',
  '.',
  '..',
  '%2e',
  '%61dmin',
  '%2F',
  '%5C',
  '%20',
  'a;b',
  'x~y',
  '',
)
const path = fc.array(piece, { minLength: 1, maxLength: 4 }).map((parts) => `/${parts.join('/')}`)
const query = fc.constantFrom(
  '',
  '?to=alice',
  '?to=mallory',
  '?to=alice&to=mallory',
  '?a+b=%2B',
  "?q=it's",
)
const contentType = fc.constantFrom(
  'application/json',
  'text/plain',
  'application/x-www-form-urlencoded',
)
const body = fc.constantFrom(
  '{"amount":10}',
  '{"amount":10000}',
  'amount=10',
  '\ufeff{"amount":10}',
  'x',
)
const request = fc.record({ path, query, contentType, body })
type Generated = { path: string; query: string; contentType: string; body: string }

async function permitFor(service: Service, wanted: Generated): Promise<string | undefined> {
  const decision = await gate.authorize({
    audience: service.url,
    httpRequest: {
      method: 'POST',
      uri: `${service.url}${wanted.path}${wanted.query}`,
      contentType: wanted.contentType,
      body: new TextEncoder().encode(wanted.body),
    },
  })
  return decision.decision === 'PERMIT' ? decision.receipt : undefined
}

function viewOf(service: Service, generated: Generated) {
  try {
    return httpRequestView({
      method: 'POST',
      uri: `${service.url}${generated.path}${generated.query}`,
      contentType: generated.contentType,
      body: new TextEncoder().encode(generated.body),
    })
  } catch {
    return undefined
  }
}

describe.each(['node', 'express'] as const)('one view over real HTTP (%s guard)', (name) => {
  it("a PERMIT for one request runs another only when both read the same, and the handler sees the policy's path", async () => {
    const service = services[name]
    await fc.assert(
      fc.asyncProperty(request, request, fc.boolean(), async (decided, other, same) => {
        const sent = same ? decided : other
        const permit = await permitFor(service, decided)
        if (permit === undefined) return
        const before = service.ran.length
        const status = await send(
          service.url,
          `${sent.path}${sent.query}`,
          { 'content-type': sent.contentType, 'writ-receipt': permit },
          sent.body,
        )
        if (status !== 200) {
          expect(service.ran.length).toBe(before)
          // The honest request, already in the one normal form, is never refused.
          const normalPath = viewOf(service, decided)?.args['path']
          const readsOneWay =
            name === 'node' ||
            (decided.path === decided.path.toLowerCase() &&
              (decided.path === '/' || !decided.path.endsWith('/')))
          if (same && normalPath === decided.path && readsOneWay) {
            expect.fail(`refused the request it permitted: ${JSON.stringify(decided)} (${status})`)
          }
          return
        }
        const ran = service.ran.at(-1)
        expect(service.ran.length).toBe(before + 1)
        // It ran: what was sent reads exactly as what was decided...
        const decidedView = viewOf(service, decided)
        const sentView = viewOf(service, sent)
        expect(sentView?.argsDigest).toBe(decidedView?.argsDigest)
        expect(sentView?.binding).toEqual(decidedView?.binding)
        // ...and the handler was dispatched on the path the policy saw.
        const rawPath = (ran?.target ?? '').split('?')[0]
        expect(rawPath).toBe(ran?.policyPath)
      }),
      { numRuns: 120 },
    )
    // Not vacuous: honest requests did run.
    expect(service.ran.length).toBeGreaterThan(0)
  })
})
