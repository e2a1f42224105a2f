/**
 * A receiving service on `node:http`, 127.0.0.1, an ephemeral port. Every request
 * goes through the receipt guard of `@writ/fetch/receiver`, which holds only the
 * authority's published public keys: the service executes a request only when it
 * carries a valid, unused PERMIT bound to exactly that request (action, arguments,
 * method, URI, body, audience). It records what it refused, with the code.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createReceiptGuard, type ReceiptGuardResult } from '@writ/fetch/receiver'
import { type JwkSet, type ReceiptClaims, WritError } from '@writ/verify'
import { decodeJws } from '@writ/verify/internal'
import { actionServedAt, type ServiceName } from '../routes.js'

/** The most body bytes a demo service reads. */
const MAX_BODY_BYTES = 64 * 1024

/** A request the service refused before executing anything. */
export interface Refusal {
  /** ISO 8601 time of the refusal. */
  readonly at: string
  readonly method: string
  readonly path: string
  readonly status: number
  /** The guard's stable code, e.g. `RECEIPT_MISSING`, `REPLAYED`. */
  readonly code: string
  /** The `jti` the request's receipt claimed, unverified, or `null` when it had none. */
  readonly claimedReceiptId: string | null
  /**
   * The JSON body the service was sent, when it was a JSON object (unverified: what
   * arrived, for instance an amount changed after the decision), else `null`.
   */
  readonly sent: Readonly<Record<string, unknown>> | null
}

/** The body as sent, when it is a JSON object; `null` otherwise. */
function sentBody(body: Uint8Array | undefined): Readonly<Record<string, unknown>> | null {
  if (body === undefined || body.length === 0 || body.length > 64 * 1024) return null
  try {
    const value = JSON.parse(new TextDecoder().decode(body)) as unknown
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : null
  } catch {
    return null
  }
}

/** What a permitted request asks the service to do. */
export interface PermittedRequest {
  readonly action: string
  readonly path: string
  /** The JSON body, as the receipt bound it (the view's `body`). */
  readonly body: Readonly<Record<string, unknown>>
  /** The verified claims of the receipt it came with. */
  readonly receipt: ReceiptClaims
}

/** What the service answers after executing (or failing to, for its own reasons). */
export interface ServiceReply {
  readonly status: number
  readonly body: unknown
}

/** Options of {@link startReceivingService}. */
export interface ReceivingServiceOptions {
  readonly name: ServiceName
  /** The authority's published JWK Set, as JSON text or object. Never the gate. */
  readonly keys: JwkSet | string
  /** Carries out a permitted request. Runs only after the guard accepted it. */
  readonly execute: (request: PermittedRequest) => ServiceReply
}

/** A running receiving service. */
export interface ReceivingService {
  readonly name: ServiceName
  /** `http://127.0.0.1:<port>`, also the audience receipts must name. */
  readonly origin: string
  /** Every refusal, oldest first. */
  readonly refusals: readonly Refusal[]
  /**
   * Starts over, as if freshly deployed on the same address: trusts `keys` from now on,
   * with a new, empty replay cache and no refusals. Requests already being checked
   * finish with the guard they started with.
   */
  resetGuard(keys: JwkSet | string): void
  close(): Promise<void>
}

function readBody(message: IncomingMessage): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let total = 0
    message.on('data', (chunk: Buffer) => {
      total += chunk.byteLength
      if (total > MAX_BODY_BYTES) {
        reject(new WritError('BODY_TOO_LARGE', 'the request body is too large'))
        message.resume()
        return
      }
      chunks.push(chunk)
    })
    message.on('end', () => resolve(new Uint8Array(Buffer.concat(chunks))))
    message.on('error', (error) =>
      reject(new WritError('BODY_NOT_HASHABLE', 'the body could not be read', { cause: error })),
    )
  })
}

function claimedReceiptId(header: string | string[] | undefined): string | null {
  if (typeof header !== 'string') return null
  try {
    const jti = decodeJws(header.trim()).claims['jti']
    return typeof jti === 'string' ? jti : null
  } catch {
    return null
  }
}

/**
 * Starts a receiving service that executes only on a valid PERMIT.
 *
 * @example
 * ```ts
 * const bank = await startReceivingService({ name: 'bank', keys: publishedKeys, execute })
 * ```
 */
export async function startReceivingService(
  options: ReceivingServiceOptions,
): Promise<ReceivingService> {
  const refusals: Refusal[] = []
  let origin = ''
  let guard: ((request: Request) => Promise<ReceiptGuardResult>) | undefined

  const server: Server = createServer((message, response) => {
    const method = message.method ?? 'GET'
    const path = (message.url ?? '/').split('?')[0] ?? '/'
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers })
      response.end(JSON.stringify(body))
    }
    const refuse = (
      status: number,
      code: string,
      body: unknown,
      headers = {},
      sent?: Uint8Array,
    ) => {
      refusals.push({
        at: new Date().toISOString(),
        method,
        path,
        status,
        code,
        claimedReceiptId: claimedReceiptId(message.headers['writ-receipt']),
        sent: sentBody(sent),
      })
      answer(status, body, headers)
    }
    const handle = async (): Promise<void> => {
      let body: Uint8Array
      try {
        body = await readBody(message)
      } catch (error) {
        const code = WritError.isInstance(error) ? error.code : 'BODY_NOT_HASHABLE'
        refuse(code === 'BODY_TOO_LARGE' ? 413 : 400, code, { code })
        return
      }
      const headers = new Headers()
      for (let index = 0; index + 1 < message.rawHeaders.length; index += 2) {
        headers.append(message.rawHeaders[index] ?? '', message.rawHeaders[index + 1] ?? '')
      }
      const hasBody = method !== 'GET' && method !== 'HEAD'
      const request = new Request(`${origin}${message.url ?? '/'}`, {
        method,
        headers,
        ...(hasBody ? { body: body as Uint8Array<ArrayBuffer> } : {}),
      })
      const result = await (guard as NonNullable<typeof guard>)(request)
      if (!result.ok) {
        const problem = (await result.response.json()) as unknown
        const refusalHeaders: Record<string, string> = {}
        result.response.headers.forEach((value, name) => {
          if (name !== 'content-length') refusalHeaders[name] = value
        })
        refuse(result.response.status, result.error.code, problem, refusalHeaders, body)
        return
      }
      // Run exactly what the policy saw: the request's view, not a second parse of the bytes.
      const parsed = result.view.args['body']
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        refuse(400, 'BODY_NOT_JSON', { code: 'BODY_NOT_JSON' })
        return
      }
      const reply = options.execute({
        action: result.receipt.claims.act.name,
        path: result.view.args['path'] as string,
        body: parsed as Record<string, unknown>,
        receipt: result.receipt.claims,
      })
      answer(reply.status, reply.body)
    }
    handle().catch(() => {
      // Fail closed: an unexpected failure executes nothing.
      if (!response.headersSent) refuse(500, 'RECEIVER_ERROR', { code: 'RECEIVER_ERROR' })
      else response.end()
    })
  })

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  // A guard with replay 'memory' shares the process's replay cache for its audience, so
  // a receipt used before a reset stays used after it. The guard
  // derives the request's view from this origin and the target as received (never the
  // Host header) and accepts only a permit whose `act.args` and `http` bind that view.
  const makeGuard = (keys: JwkSet | string) =>
    createReceiptGuard({
      keys,
      audience: origin,
      origin,
      replay: 'memory',
      actionName: (request) =>
        actionServedAt(options.name, request.method, new URL(request.url).pathname),
    })
  guard = makeGuard(options.keys)

  return {
    name: options.name,
    origin,
    refusals,
    resetGuard: (keys) => {
      guard = makeGuard(keys)
      refusals.length = 0
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
