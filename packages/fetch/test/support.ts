/**
 * Shared test parts: real `node:http` servers on 127.0.0.1, real gates, and a fetch
 * that records what a gated fetch would send without sending it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  type ActionRequest,
  compilePolicy,
  createGate,
  createMemoryStore,
  type Decision,
  type Gate,
  generateSigningKey,
  guardAction,
  wrapAction,
} from '@writ/core'
import { afterEach } from 'vitest'

/** The policy the fetch tests run under. */
export const policyText = `
writ: 1
id: fetch-tests
rules:
  - id: small-transfers
    effect: permit
    actions: [payments.transfer, http.post]
    when: has(args.body) && has(args.body.amount) && args.body.amount <= 1000
  - id: uploads
    effect: permit
    actions: ['uploads.*']
  - id: reads
    effect: permit
    actions: [http.get]
  - id: no-mallory
    effect: deny
    actions: ['**']
    when: has(args.body) && has(args.body.to) && args.body.to == 'mallory'
    reason: SANCTIONED_PAYEE
  - id: chat-allowed
    effect: permit
    actions: [http.post]
    when: args.path == '/v1/chat/completions' && args.body.model == 'gpt-allowed'
  - id: chat-forbidden
    effect: deny
    actions: [http.post]
    when: args.path == '/v1/chat/completions' && args.body.model == 'gpt-forbidden'
    reason: MODEL_NOT_ALLOWED
`

/** A signing key shared by the gates of one test file, so one key set verifies them all. */
export const signingKey = generateSigningKey()

/** A real gate over the test policy. */
export function newGate(options: { clockOffsetMs?: number; timeoutMs?: number } = {}) {
  const offset = options.clockOffsetMs
  return createGate({
    policy: compilePolicy(policyText, { source: 'fetch-tests.yaml' }),
    keys: signingKey,
    issuer: 'https://writ.test',
    store: createMemoryStore(),
    defaultAgent: 'fetch-test-agent',
    ttlSeconds: 60,
    ...(offset === undefined ? {} : { clock: () => Date.now() + offset }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  })
}

/** A gate that records every request and decision passing through it. */
export function recordingGate(
  inner: Gate,
): Gate & { requests: ActionRequest[]; decisions: Decision[] } {
  const requests: ActionRequest[] = []
  const decisions: Decision[] = []
  const gate: Gate & { requests: ActionRequest[]; decisions: Decision[] } = {
    requests,
    decisions,
    async authorize(request) {
      requests.push(request)
      const decision = await inner.authorize(request)
      decisions.push(decision)
      return decision
    },
    guard: (request, execute) => guardAction(gate, request, execute),
    wrap: (name, fn, options) => wrapAction(gate, name, fn, options),
    keys: () => inner.keys(),
  }
  return gate
}

/** A request as a server received it. */
export interface Received {
  readonly method: string
  readonly url: string
  readonly headers: IncomingMessage['headers']
  readonly body: Buffer
}

/** A running server on 127.0.0.1. */
export interface RunningServer {
  readonly server: Server
  readonly origin: string
  close(): Promise<void>
}

/** Starts a `node:http` server on 127.0.0.1, port 0. */
export async function listen(
  listener: (request: IncomingMessage, response: ServerResponse) => void,
): Promise<RunningServer> {
  const server = createServer(listener)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    server,
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}

/**
 * Registers, in the enclosing `describe` block, an `afterEach` that closes every server
 * handed to the function returned during the test. That function returns its argument:
 * `const server = closes(await listen(handler))`.
 */
export function closeAfterEach(): <T extends { close(): Promise<void> }>(server: T) => T {
  const open: { close(): Promise<void> }[] = []
  afterEach(async () => {
    await Promise.all(open.splice(0).map((server) => server.close()))
  })
  return (server) => {
    open.push(server)
    return server
  }
}

/** A server that records every request and answers `200 {"ok":true}`, or what `answer` says. */
export async function recordingServer(
  answer?: (received: Received, response: ServerResponse) => boolean,
): Promise<RunningServer & { received: Received[] }> {
  const received: Received[] = []
  const running = await listen((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const entry: Received = {
        method: request.method ?? '',
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks),
      }
      received.push(entry)
      if (answer?.(entry, response)) return
      response.writeHead(200, { 'content-type': 'application/json' })
      response.end('{"ok":true}')
    })
  })
  return { ...running, received }
}

/** A fetch that keeps the requests it is given and answers 204 without sending anything. */
export function capturingFetch(): { fetch: typeof fetch; requests: Request[] } {
  const requests: Request[] = []
  return {
    requests,
    fetch: async (input, init) => {
      requests.push(new Request(input, init))
      return new Response(null, { status: 204 })
    },
  }
}

/** Reads a problem+json response. */
export async function problemOf(response: Response): Promise<Record<string, unknown>> {
  return (await response.json()) as Record<string, unknown>
}

/** A JSON POST init. */
export function jsonPost(value: unknown, method = 'POST'): RequestInit {
  return { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) }
}

/** A readable stream of `count` chunks of `size` bytes each. */
export function byteStream(count: number, size: number, fill = 0x61): ReadableStream<Uint8Array> {
  let sent = 0
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent === count) {
        controller.close()
        return
      }
      sent += 1
      controller.enqueue(new Uint8Array(size).fill(fill))
    },
  })
}
