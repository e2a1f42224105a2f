/**
 * The memory store's receipts, kept compactly: tokens' bytes back to back in chunks of
 * memory outside the JavaScript heap, with where each one ends in a typed array beside it.
 * A gate that decides for hours holds no string per receipt, so the garbage collector
 * neither copies each token out of the young generation nor marks it again on every full
 * collection. Chunks are never copied or moved.
 *
 * With `keep`, the log holds at least the newest `keep` tokens and drops whole chunks
 * older than that, reusing their memory for new tokens: memory stays flat, and a new
 * token is written into pages already in use rather than into fresh ones.
 *
 * Each token is written after one 0x00 byte: the bytes from that 0x00 on are exactly what
 * an RFC 9162 leaf hash covers (spec section 12), and the bytes after it exactly what the
 * chain digest covers (spec section 5), so both are hashed in place, without a copy.
 */
import { WritError } from '@writ/verify'

/** Bytes in one chunk by default; a longer token gets a chunk of its own. */
const CHUNK_SIZE = 1 << 20

interface Chunk {
  readonly bytes: Uint8Array
  /** Writes `text` as UTF-8 at `offset`; returns how many bytes it wrote. */
  readonly write: (text: string, offset: number) => number
  /** Bytes used. */
  used: number
  /** The seq of its first token. */
  firstSeq: number
  /** Tokens in it. */
  count: number
  /** `ends[i]`: the offset just past its token `i`. */
  ends: Uint32Array<ArrayBuffer>
}

type NodeBuffer = {
  allocUnsafeSlow(size: number): Uint8Array & {
    write(text: string, offset: number, length: number, encoding: 'utf8'): number
  }
}

// Node copies a string's bytes into a buffer several times faster than TextEncoder's
// encodeInto does on Node 20; elsewhere encodeInto.
const nodeBuffer = (globalThis as unknown as { Buffer?: NodeBuffer }).Buffer
const encoder = new TextEncoder()
const decoder = new TextDecoder()

function newChunk(size: number, firstSeq: number): Chunk {
  const chunk = { used: 0, firstSeq, count: 0, ends: new Uint32Array(256) }
  if (nodeBuffer !== undefined) {
    const buffer = nodeBuffer.allocUnsafeSlow(size)
    return {
      ...chunk,
      bytes: buffer,
      write: (text, at) => buffer.write(text, at, size - at, 'utf8'),
    }
  }
  const bytes = new Uint8Array(size)
  return {
    ...chunk,
    bytes,
    write: (text, at) => encoder.encodeInto(text, bytes.subarray(at)).written,
  }
}

/** Receipts of one chain, in `seq` order. */
export interface TokenLog {
  /** How many tokens were ever pushed: the next token's seq. */
  readonly length: number
  /** The oldest seq still held (0 until the log drops a chunk). */
  readonly first: number
  /**
   * Appends `token` as the next `seq`, and returns the seqs dropped to make room
   * (`[from, to)`, empty when none). Compact JWS tokens are ASCII; anything else is refused
   * with `STORE_CONFLICT`, and the log is left unchanged.
   */
  push(token: string): readonly [from: number, to: number]
  /** The token at `seq`, as the string that was pushed. */
  token(seq: number): string
  /** The token's ASCII bytes (a view into the log). */
  tokenBytes(seq: number): Uint8Array
  /** 0x00 followed by the token's bytes (a view into the log). */
  leafInput(seq: number): Uint8Array
}

function chunkHolding(chunks: readonly Chunk[], seq: number): Chunk {
  let low = 0
  let high = chunks.length - 1
  while (low < high) {
    const middle = (low + high + 1) >> 1
    if ((chunks[middle] as Chunk).firstSeq <= seq) low = middle
    else high = middle - 1
  }
  return chunks[low] as Chunk
}

function recorded(chunk: Chunk, end: number): void {
  if (chunk.count === chunk.ends.length) {
    const ends = new Uint32Array(chunk.ends.length * 2)
    ends.set(chunk.ends)
    chunk.ends = ends
  }
  chunk.ends[chunk.count] = end
  chunk.count += 1
  chunk.used = end
}

/**
 * Creates an empty log.
 *
 * @param keep the fewest newest tokens to hold; `Infinity` (the default) holds every one
 * @param chunkSize bytes in one chunk (tests make it small to see chunks dropped)
 */
export function createTokenLog(keep = Number.POSITIVE_INFINITY, chunkSize = CHUNK_SIZE): TokenLog {
  const chunks: Chunk[] = []
  const spare: Chunk[] = []
  let count = 0
  const view = (seq: number, prefix: 0 | 1): Uint8Array => {
    const first = chunks[0]?.firstSeq ?? count
    if (!Number.isInteger(seq) || seq < first || seq >= count) {
      throw new RangeError(`No token at seq ${seq}`)
    }
    const chunk = chunkHolding(chunks, seq)
    const index = seq - chunk.firstSeq
    const start = (index === 0 ? 0 : (chunk.ends[index - 1] as number)) + 1
    return chunk.bytes.subarray(start - prefix, chunk.ends[index])
  }
  const room = (needed: number): Chunk => {
    const last = chunks[chunks.length - 1]
    if (last !== undefined && last.bytes.length - last.used >= needed) return last
    const reused = needed <= chunkSize ? spare.pop() : undefined
    const chunk = reused ?? newChunk(Math.max(chunkSize, needed), count)
    chunk.used = 0
    chunk.count = 0
    chunk.firstSeq = count
    chunks.push(chunk)
    return chunk
  }
  // Drops the oldest chunks while the rest still hold `keep` tokens.
  const evict = (): readonly [number, number] => {
    const from = chunks[0]?.firstSeq ?? count
    while (chunks.length > 1 && count - (chunks[1] as Chunk).firstSeq >= keep) {
      const dropped = chunks.shift() as Chunk
      if (dropped.bytes.length === chunkSize) spare.push(dropped)
    }
    return [from, chunks[0]?.firstSeq ?? count]
  }
  return {
    get length() {
      return count
    },
    get first() {
      return chunks[0]?.firstSeq ?? count
    },
    push(token) {
      // A UTF-8 encoding never takes more than three bytes per UTF-16 unit.
      const chunk = room(1 + token.length * 3)
      const at = chunk.used + 1
      const written = chunk.write(token, at)
      // UTF-8 takes one byte per character only when every character is ASCII.
      if (written !== token.length) {
        throw new WritError('STORE_CONFLICT', 'A receipt token must be ASCII (compact JWS).')
      }
      chunk.bytes[at - 1] = 0
      recorded(chunk, at + written)
      count += 1
      return evict()
    },
    token: (seq) => decoder.decode(view(seq, 0)),
    tokenBytes: (seq) => view(seq, 0),
    leafInput: (seq) => view(seq, 1),
  }
}
