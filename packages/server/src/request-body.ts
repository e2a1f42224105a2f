import type { IncomingMessage } from 'node:http'
import { WritError } from '@writ/verify'
import { readStreamBytes } from '@writ/verify/internal'

/**
 * Reads a request body as it streams in and stops at `maxBytes`: a body over the
 * limit is refused with `BODY_TOO_LARGE` as soon as the limit is crossed, whether it
 * announced its length or came chunked, so an agent cannot make the authority hold
 * more than `maxBytes` of it in memory. A declared `Content-Length` over the limit is
 * refused before anything is read.
 */
export async function readBodyWithin(
  request: Request,
  maxBytes: number,
  incoming?: IncomingMessage,
): Promise<Uint8Array> {
  // Served by Node: read the socket's stream itself, without a Fetch-API stream per request.
  if (incoming !== undefined && !incoming.readableDidRead)
    return readIncomingWithin(incoming, maxBytes)
  const declared = request.headers.get('content-length')
  if (declared !== null && (!/^[0-9]{1,16}$/.test(declared) || Number(declared) > maxBytes)) {
    throw new WritError('BODY_TOO_LARGE', `The request body exceeds ${maxBytes} bytes.`, {
      details: { maxBytes },
    })
  }
  // Stops reading at the limit; the HTTP server discards (and then cuts off) the rest.
  return readStreamBytes(request.body, maxBytes)
}

function tooLarge(maxBytes: number): WritError {
  return new WritError('BODY_TOO_LARGE', `The request body exceeds ${maxBytes} bytes.`, {
    details: { maxBytes },
  })
}

/**
 * {@link readBodyWithin} on Node's request stream: the same limits (a declared length over
 * `maxBytes` refused before reading, a body that crosses it refused as soon as it does),
 * without the Fetch-API stream the `Request` would otherwise build around it.
 */
export function readIncomingWithin(
  incoming: IncomingMessage,
  maxBytes: number,
): Promise<Uint8Array> {
  const declared = incoming.headers['content-length']
  if (declared !== undefined && (!/^[0-9]{1,16}$/.test(declared) || Number(declared) > maxBytes))
    return Promise.reject(tooLarge(maxBytes))
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    const cleanup = () => {
      incoming.off('data', onData)
      incoming.off('end', onEnd)
      incoming.off('error', onError)
      incoming.off('close', onClose)
    }
    const onData = (chunk: Buffer) => {
      size += chunk.length
      if (size <= maxBytes) {
        chunks.push(chunk)
        return
      }
      // Stops reading at the limit; the HTTP server discards (and then cuts off) the rest.
      cleanup()
      incoming.pause()
      reject(tooLarge(maxBytes))
    }
    const onEnd = () => {
      cleanup()
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size))
    }
    const onError = (error: unknown) => {
      cleanup()
      reject(error)
    }
    const onClose = () => {
      cleanup()
      reject(new WritError('INPUT_SYNTAX', 'The request body ended before it was complete.'))
    }
    incoming.on('data', onData)
    incoming.on('end', onEnd)
    incoming.on('error', onError)
    incoming.on('close', onClose)
  })
}
