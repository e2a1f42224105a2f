import { WritError } from '@writ/verify'
import { readStreamBytes } from '@writ/verify/internal'

/**
 * Reads a request body as it streams in and stops at `maxBytes`: a body over the
 * limit is refused with `BODY_TOO_LARGE` as soon as the limit is crossed, whether it
 * announced its length or came chunked, so an agent cannot make the authority hold
 * more than `maxBytes` of it in memory. A declared `Content-Length` over the limit is
 * refused before anything is read.
 */
export async function readBodyWithin(request: Request, maxBytes: number): Promise<Uint8Array> {
  const declared = request.headers.get('content-length')
  if (declared !== null && (!/^[0-9]{1,16}$/.test(declared) || Number(declared) > maxBytes)) {
    throw new WritError('BODY_TOO_LARGE', `The request body exceeds ${maxBytes} bytes.`, {
      details: { maxBytes },
    })
  }
  // Stops reading at the limit; the HTTP server discards (and then cuts off) the rest.
  return readStreamBytes(request.body, maxBytes)
}
