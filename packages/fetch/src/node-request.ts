import type { IncomingMessage, ServerResponse } from 'node:http'
import { WritError } from '@writ/verify'
import { concatBytes } from './read-body.js'

/**
 * Reads a Node request stream to its end, refusing past `maxBytes` with
 * `BODY_TOO_LARGE` and failing with `BODY_NOT_HASHABLE` when the stream errors, ends
 * early, or was already read by someone else (the exact bytes are then unknown).
 * A refused body is drained and discarded, so the refusal can still be answered.
 */
export function readNodeBody(message: IncomingMessage, maxBytes: number): Promise<Uint8Array> {
  if (message.readableDidRead || message.readableEnded) {
    return Promise.reject(
      new WritError('BODY_NOT_HASHABLE', 'the request body was already read by another handler'),
    )
  }
  return new Promise<Uint8Array>((resolve, reject) => {
    const chunks: Uint8Array[] = []
    let total = 0
    const cleanup = () => {
      message.off('data', onData)
      message.off('end', onEnd)
      message.off('error', onError)
      message.off('close', onClose)
    }
    const onData = (chunk: Uint8Array | string) => {
      const bytes = typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk
      total += bytes.byteLength
      if (total > maxBytes) {
        cleanup()
        // Discard the rest instead of destroying the socket, so the 413 reaches the client.
        message.resume()
        reject(
          new WritError('BODY_TOO_LARGE', `the body is larger than ${maxBytes} bytes`, {
            details: { maxBytes },
          }),
        )
        return
      }
      chunks.push(bytes)
    }
    const onEnd = () => {
      cleanup()
      resolve(concatBytes(chunks, total))
    }
    const onError = (error: unknown) => {
      cleanup()
      reject(new WritError('BODY_NOT_HASHABLE', 'the request body stream failed', { cause: error }))
    }
    const onClose = () => {
      cleanup()
      reject(new WritError('BODY_NOT_HASHABLE', 'the request body ended before it was complete'))
    }
    message.on('data', onData)
    message.on('end', onEnd)
    message.on('error', onError)
    message.on('close', onClose)
  })
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
