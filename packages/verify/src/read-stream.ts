import { concatBytes } from './encoding.js'
import { WritError } from './errors.js'

const empty = new Uint8Array(0)

/**
 * Reads a body stream to its end, refusing past `maxBytes`.
 *
 * Writ hashes the exact bytes of a body, so it must hold all of them; a stream that
 * grows past the limit is cancelled and refused with `BODY_TOO_LARGE`, and a stream
 * that fails, or yields something other than bytes, is refused with
 * `BODY_NOT_HASHABLE`. Either way nothing is sent or executed.
 *
 * @param body the stream to read, or `null` for no body (empty bytes)
 * @param maxBytes the most bytes accepted
 * @returns the body's bytes, concatenated
 */
export async function readStreamBytes(
  body: ReadableStream<Uint8Array> | null,
  maxBytes: number,
): Promise<Uint8Array> {
  if (body === null) return empty
  let reader: ReadableStreamDefaultReader<Uint8Array>
  try {
    reader = body.getReader()
  } catch (error) {
    throw new WritError('BODY_NOT_HASHABLE', 'the body stream is locked or already read', {
      cause: error,
    })
  }
  const chunks: Uint8Array[] = []
  let total = 0
  for (;;) {
    let step: ReadableStreamReadResult<Uint8Array>
    try {
      step = await reader.read()
    } catch (error) {
      throw new WritError('BODY_NOT_HASHABLE', 'the body stream failed while it was read', {
        cause: error,
      })
    }
    if (step.done) break
    const chunk: unknown = step.value
    if (!(chunk instanceof Uint8Array)) {
      await reader.cancel().catch(() => undefined)
      throw new WritError('BODY_NOT_HASHABLE', 'the body stream yielded something other than bytes')
    }
    total += chunk.byteLength
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined)
      throw new WritError('BODY_TOO_LARGE', `the body is larger than ${maxBytes} bytes`, {
        details: { maxBytes },
      })
    }
    chunks.push(chunk)
  }
  return concatBytes(chunks, total)
}
