import type { IncomingMessage, ServerResponse } from 'node:http'
import { WritError } from '@writ/verify'
import { concatBytes } from './read-body.js'

/**
 * Reads a Node request stream to its end, refusing past `maxBytes` with
 * `BODY_TOO_LARGE` and failing with `BODY_NOT_HASHABLE` when the stream errors or
 * was already read by someone else (the exact bytes are then unknown).
 */
export async function readNodeBody(
  message: IncomingMessage,
  maxBytes: number,
): Promise<Uint8Array> {
  if (message.readableDidRead || message.readableEnded) {
    throw new WritError('BODY_NOT_HASHABLE', 'the request body was already read by another handler')
  }
  const chunks: Uint8Array[] = []
  let total = 0
  try {
    for await (const chunk of message) {
      const bytes: Uint8Array = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk
      total += bytes.byteLength
      if (total > maxBytes) {
        throw new WritError('BODY_TOO_LARGE', `the body is larger than ${maxBytes} bytes`, {
          details: { maxBytes },
        })
      }
      chunks.push(bytes)
    }
  } catch (error) {
    if (WritError.isInstance(error)) throw error
    throw new WritError('BODY_NOT_HASHABLE', 'the request body stream failed', { cause: error })
  }
  return concatBytes(chunks, total)
}

/**
 * A Fetch-API `Request` for a Node request whose body bytes are already known. The
 * URL is built from the scheme of the connection, the `Host` header and the
 * request target; pass `origin` or `publicUrl` to the guard to bind the public URL
 * behind a proxy instead.
 */
export function webRequestOf(
  message: IncomingMessage,
  body: Uint8Array,
  target = message.url ?? '/',
): Request {
  const encrypted = (message.socket as { encrypted?: boolean } | null)?.encrypted === true
  const host = message.headers.host ?? 'localhost'
  const headers = new Headers()
  for (const [name, value] of Object.entries(message.headers)) {
    if (value === undefined) continue
    if (Array.isArray(value)) for (const item of value) headers.append(name, item)
    else headers.set(name, value)
  }
  const method = message.method ?? 'GET'
  const hasBody = method !== 'GET' && method !== 'HEAD'
  return new Request(new URL(target, `${encrypted ? 'https' : 'http'}://${host}`), {
    method,
    headers,
    body: hasBody ? (body as Uint8Array<ArrayBuffer>) : null,
  })
}

/** Writes a Fetch-API `Response` (a problem response) to a Node response. */
export async function writeWebResponse(response: Response, target: ServerResponse): Promise<void> {
  const headers: Record<string, string> = {}
  response.headers.forEach((value, name) => {
    headers[name] = value
  })
  const body = new Uint8Array(await response.arrayBuffer())
  target.writeHead(response.status, headers)
  target.end(body)
}
