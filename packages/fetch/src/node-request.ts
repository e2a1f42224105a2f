import type { IncomingMessage, ServerResponse } from 'node:http'
import { WritError } from '@writ/verify'
import { concatBytes } from '@writ/verify/internal'
import type { IncomingRequest } from './receipt-guard.js'

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

/** Every value of the `Host` header as received (Node keeps only the first in `headers`). */
export function hostHeadersOf(message: IncomingMessage): string[] {
  const values: string[] = []
  const raw = message.rawHeaders
  for (let index = 0; index + 1 < raw.length; index += 2) {
    if ((raw[index] as string).toLowerCase() === 'host') values.push(raw[index + 1] as string)
  }
  return values
}

/** One header of a Node request as a string (repeated values joined by ", "), or `null`. */
function headerOf(message: IncomingMessage, name: string): string | null {
  const value = message.headers[name.toLowerCase()]
  if (value === undefined) return null
  return Array.isArray(value) ? value.join(', ') : value
}

/**
 * The {@link IncomingRequest} of a Node request: the raw request target, every `Host`
 * value, and the body read from the stream (or `readBody`, when a framework already
 * holds the bytes). The Fetch-API view built for `action` functions resolves the
 * target against `origin`, never the `Host` header.
 */
export function incomingOfNode(
  message: IncomingMessage,
  origin: string,
  target: string = message.url ?? '/',
  readBody: (maxBytes: number) => Promise<Uint8Array> = (maxBytes) =>
    readNodeBody(message, maxBytes),
): IncomingRequest {
  const method = message.method ?? 'GET'
  return {
    method,
    target,
    hostHeaders: hostHeadersOf(message),
    header: (name) => headerOf(message, name),
    body: readBody,
    asRequest: () => {
      const headers = new Headers()
      for (const [name, value] of Object.entries(message.headers)) {
        if (value === undefined) continue
        if (Array.isArray(value)) for (const item of value) headers.append(name, item)
        else headers.set(name, value)
      }
      let url: URL
      try {
        url = new URL(target.startsWith('/') && !target.startsWith('//') ? target : '/', origin)
      } catch {
        url = new URL(origin)
      }
      return new Request(url, { method, headers })
    },
  }
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
