/**
 * UUID version 7 (RFC 9562): a 48-bit Unix millisecond timestamp, then random bits.
 * Receipt ids (`jti`) use it so that ids sort by issuance time.
 */

/** Produces UUIDv7 strings that strictly increase within one generator. */
export type UuidV7Generator = () => string

const hex: string[] = Array.from({ length: 256 }, (_, index) => index.toString(16).padStart(2, '0'))
const HEX_DIGITS = '0123456789abcdef'

type NodeBuffer = {
  alloc(
    size: number,
  ): Uint8Array & { toString(encoding: 'latin1', start: number, end: number): string }
}
const nodeBuffer = (globalThis as unknown as { Buffer?: NodeBuffer }).Buffer

/** Writes the 36 characters of a UUID's text, as ASCII codes, from its 16 bytes. */
function writeUuidText(bytes: Uint8Array, text: Uint8Array): void {
  let at = 0
  for (let index = 0; index < 16; index++) {
    if (index === 4 || index === 6 || index === 8 || index === 10) text[at++] = 0x2d
    const byte = bytes[index] as number
    text[at++] = HEX_DIGITS.charCodeAt(byte >> 4)
    text[at++] = HEX_DIGITS.charCodeAt(byte & 15)
  }
}

/**
 * The UUID text of `bytes`: in Node one string read straight from ASCII bytes (no
 * intermediate strings on the decision path), elsewhere five groups of hex pairs.
 */
function uuidText(bytes: Uint8Array): () => string {
  if (nodeBuffer !== undefined) {
    const text = nodeBuffer.alloc(36)
    return () => {
      writeUuidText(bytes, text)
      return text.toString('latin1', 0, 36)
    }
  }
  return () =>
    `${hexOf(bytes, 0, 4)}-${hexOf(bytes, 4, 6)}-${hexOf(bytes, 6, 8)}-${hexOf(bytes, 8, 10)}-${hexOf(bytes, 10, 16)}`
}

/**
 * Creates a UUIDv7 generator. Ids are strictly increasing within the generator, even
 * when several are made in the same millisecond or the clock steps back: the 12-bit
 * `rand_a` field is a counter (RFC 9562 section 6.2, method 1), seeded at random each
 * new millisecond, and the timestamp is carried forward when the counter overflows.
 *
 * @param clock milliseconds since the epoch; `Date.now` by default
 */
export function createUuidV7Generator(clock: () => number = Date.now): UuidV7Generator {
  let lastMs = -1
  let counter = 0
  // Random bytes are drawn from the system in blocks: one `getRandomValues` call per
  // 409 ids instead of one per id, which matters on the decision hot path.
  const pool = new Uint8Array(4090)
  let offset = pool.length
  // Written in place for every id: no per-id arrays, one string built from five groups.
  const bytes = new Uint8Array(16)
  const text = uuidText(bytes)
  return () => {
    if (offset === pool.length) {
      crypto.getRandomValues(pool)
      offset = 0
    }
    const at = offset
    offset += 10
    let ms = Math.floor(clock())
    if (!Number.isSafeInteger(ms) || ms < 0) ms = 0
    if (ms > lastMs) {
      lastMs = ms
      // Top bit clear so at least 2048 ids fit in one millisecond before carrying.
      counter = ((pool[at]! << 8) | pool[at + 1]!) & 0x7ff
    } else {
      counter += 1
      if (counter > 0xfff) {
        lastMs += 1
        counter = 0
      }
    }
    let time = lastMs
    for (let index = 5; index >= 0; index -= 1) {
      bytes[index] = time % 256
      time = Math.floor(time / 256)
    }
    bytes[6] = 0x70 | (counter >> 8)
    bytes[7] = counter & 0xff
    bytes[8] = 0x80 | (pool[at + 2]! & 0x3f)
    for (let index = 9; index < 16; index += 1) bytes[index] = pool[at + index - 6]!
    return text()
  }
}

function hexOf(bytes: Uint8Array, from: number, to: number): string {
  let text = ''
  for (let index = from; index < to; index += 1) text += hex[bytes[index]!]
  return text
}

const shared = createUuidV7Generator()

/** A fresh UUIDv7 from the process-wide generator (monotonic within this process). */
export function uuidV7(): string {
  return shared()
}
