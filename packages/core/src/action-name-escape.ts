/**
 * How a receipt records an action name that was refused (spec section 2): the name as
 * given, escaped so that it is printable ASCII, reversible, bounded, and never itself a
 * valid action name. An auditor sees the lookalike that was attempted
 * (`payments.transfer%E2%80%8B`, `%D1%80%D0%B0yments.transfer`) instead of a placeholder.
 */

/** The longest escaped name a receipt carries, in characters (the marker included). */
export const MAX_ESCAPED_ACTION_NAME_LENGTH = 256

/** Written in place of an empty name. */
export const EMPTY_ACTION_NAME = '(empty)'

/**
 * Escapes an action name as given for `act.name` of a DENY `INPUT_INVALID` receipt.
 *
 * - A string is kept character for character where the character is printable ASCII
 *   (U+0020 to U+007E) other than `%`; every other character, and `%`, is written as the
 *   `%XX` escapes (uppercase hex) of its UTF-8 bytes. A lone surrogate, which UTF-8 cannot
 *   encode, is written as the three bytes of its generalized UTF-8 (WTF-8) form, for
 *   example `%ED%A0%80` for U+D800, so that no two names share an escaped form. A `(` in
 *   first position is written `%28`, so an escaped name never starts with `(`.
 * - An empty string is `(empty)`; a value that is not a string is `(non-string: <type>)`,
 *   with its `typeof` (`null` for `null`, `array` for an array).
 * - An escaped form longer than {@link MAX_ESCAPED_ACTION_NAME_LENGTH} characters is cut
 *   (never inside a `%XX` escape) and ends with `%~truncated(<n>)`, where `<n>` is the
 *   length of the name as given in UTF-16 code units; the whole stays within the maximum.
 *
 * Reading it back: a leading `(` marks one of the two markers above; otherwise replace
 * each `%XX` with its byte and decode the bytes as WTF-8; a trailing `%~truncated(<n>)`
 * says the rest was cut (`%~` never occurs in an escape, since a literal `%` is `%25`).
 *
 * The result can never be a valid action name (`[A-Za-z0-9_.:-]{1,128}`) unless the
 * input was one, in which case it is returned unchanged: an invalid name keeps a
 * character outside that set (any escape adds `%`), or stays longer than 128 characters,
 * or becomes a marker with `(`, space or `%`. It appears only on DENY `INPUT_INVALID`
 * receipts, so no PERMIT can ever carry it.
 *
 * @example
 * ```ts
 * escapeActionName('payments.transfer\u200b') // 'payments.transfer%E2%80%8B'
 * escapeActionName(42)                        // '(non-string: number)'
 * ```
 */
export function escapeActionName(name: unknown): string {
  if (typeof name !== 'string') return `(non-string: ${describeType(name)})`
  if (name.length === 0) return EMPTY_ACTION_NAME
  const parts: string[] = []
  let length = 0
  for (let index = 0; index < name.length; index++) {
    const part = escapeAt(name, index)
    // A surrogate pair is one character: its second half is consumed with the first.
    if (part.pair) index++
    const text = index === 0 && part.text === '(' ? '%28' : part.text
    if (length + text.length > MAX_ESCAPED_ACTION_NAME_LENGTH) {
      return truncate(parts, name.length)
    }
    parts.push(text)
    length += text.length
  }
  return parts.join('')
}

function describeType(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  return typeof value
}

/** Cuts whole escapes off the end until the marker fits within the maximum. */
function truncate(parts: string[], originalLength: number): string {
  const marker = `%~truncated(${originalLength})`
  let length = parts.reduce((total, part) => total + part.length, 0)
  while (parts.length > 0 && length + marker.length > MAX_ESCAPED_ACTION_NAME_LENGTH) {
    length -= (parts.pop() as string).length
  }
  return parts.join('') + marker
}

function escapeAt(name: string, index: number): { text: string; pair: boolean } {
  const unit = name.charCodeAt(index)
  if (unit >= 0x20 && unit <= 0x7e && unit !== 0x25)
    return { text: name[index] as string, pair: false }
  if (unit >= 0xd800 && unit <= 0xdbff) {
    const next = name.charCodeAt(index + 1)
    if (next >= 0xdc00 && next <= 0xdfff) {
      const codePoint = 0x10000 + ((unit - 0xd800) << 10) + (next - 0xdc00)
      return { text: percentBytes(codePoint), pair: true }
    }
  }
  // Everything else, lone surrogates included, is one code point below U+10000.
  return { text: percentBytes(unit), pair: false }
}

/** The `%XX` escapes of the (generalized) UTF-8 bytes of one code point. */
function percentBytes(codePoint: number): string {
  const bytes: number[] =
    codePoint < 0x80
      ? [codePoint]
      : codePoint < 0x800
        ? [0xc0 | (codePoint >> 6), 0x80 | (codePoint & 0x3f)]
        : codePoint < 0x10000
          ? [0xe0 | (codePoint >> 12), 0x80 | ((codePoint >> 6) & 0x3f), 0x80 | (codePoint & 0x3f)]
          : [
              0xf0 | (codePoint >> 18),
              0x80 | ((codePoint >> 12) & 0x3f),
              0x80 | ((codePoint >> 6) & 0x3f),
              0x80 | (codePoint & 0x3f),
            ]
  return bytes.map((byte) => `%${byte.toString(16).toUpperCase().padStart(2, '0')}`).join('')
}
