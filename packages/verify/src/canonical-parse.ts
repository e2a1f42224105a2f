import {
  canonicalTextOf,
  isIndexKey,
  nullPrototypeObject,
  pointerOf,
  sortKeys,
} from './canonical-output.js'
import { isWellFormedText, utf8ByteLength } from './encoding.js'
import { WritError } from './errors.js'
import { checkNumber, isForbiddenKey } from './json.js'
import type { JsonValue } from './types.js'

/** Raw JSON text parsed into a frozen, null-prototype value, and its RFC 8785 text. @internal */
export interface CanonicalParse {
  readonly value: JsonValue
  readonly canonical: string
}

/**
 * Parses raw JSON text strictly (the grammar and refusals of `parseJson`: duplicate
 * member names, forbidden keys, lone surrogates raw or escaped, non-finite numbers,
 * unsafe integers, depth and size) and, in the same pass, builds the deep-frozen,
 * null-prototype value with members in canonical order; the canonical text is written
 * from it. Refusals carry the same codes, paths and offsets as `parseJson`; JSON
 * Pointers are built only for an error.
 *
 * Size: `maxBytes` bounds the UTF-8 bytes of `text`, counted while strings are scanned
 * (everything outside strings is ASCII or a syntax error). As with `parseJson`, text
 * that is too large is refused as such whatever else is wrong with it.
 * @internal
 */
export function parseCanonical(text: string, maxDepth: number, maxBytes: number): CanonicalParse {
  if (text.length > maxBytes) throw tooLargeText(maxBytes)
  const parser = new Parser(text, maxDepth)
  let value: JsonValue
  try {
    value = parser.parseDocument()
  } catch (error) {
    // Too large wins over any other refusal, as when the size is checked first.
    if (text.length * 3 > maxBytes && utf8ByteLength(text) > maxBytes) {
      throw tooLargeText(maxBytes)
    }
    if (error instanceof RangeError && !WritError.isInstance(error)) {
      // Stack exhaustion under a very large configured maxDepth: a refusal, never a pass.
      throw new WritError('INPUT_TOO_DEEP', 'JSON input nests too deeply', {
        cause: error,
        details: { path: '' },
      })
    }
    throw error
  }
  if (text.length + parser.extraBytes > maxBytes) throw tooLargeText(maxBytes)
  return { value, canonical: canonicalTextOf(value, parser.indexKeys) }
}

function tooLargeText(maxBytes: number): WritError {
  return new WritError('INPUT_TOO_LARGE', `JSON input exceeds ${maxBytes} bytes`, {
    details: { path: '', maxBytes },
  })
}

/**
 * Sorts the members in `[base, end)` of two parallel arrays by name (UTF-16 code units),
 * in place: an insertion sort, for the few members of most objects.
 */
function sortMembers(names: string[], values: JsonValue[], base: number, end: number): void {
  for (let index = base + 1; index < end; index++) {
    const name = names[index]!
    const value = values[index]!
    let slot = index - 1
    while (slot >= base && names[slot]! > name) {
      names[slot + 1] = names[slot]!
      values[slot + 1] = values[slot]!
      slot--
    }
    names[slot + 1] = name
    values[slot + 1] = value
  }
}

/**
 * The value of an integer literal of at most 15 characters (sign included): exact, and
 * always within ±(2^53−1). `-0` is 0.
 */
function smallInteger(text: string, start: number, end: number): number {
  const negative = text.charCodeAt(start) === 0x2d
  let value = 0
  for (let index = negative ? start + 1 : start; index < end; index++) {
    value = value * 10 + (text.charCodeAt(index) - 0x30)
  }
  return negative && value !== 0 ? -value : value
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff
}

/** A member name written in JSON exactly as it is: printable ASCII but `"` and `\`. */
const PLAIN_NAME = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/

/** Objects with more members than this find duplicates with a `Set`, not a scan. */
const SCAN_LIMIT = 8

class Parser {
  position = 0
  /** UTF-8 bytes beyond one per UTF-16 code unit, counted in strings. */
  extraBytes = 0
  /** Some member name is an array index: the value is serialized by the portable path. */
  indexKeys = false
  /** `tokens[d]`: the member name or index being parsed in the container at depth `d`. */
  readonly tokens: (string | number)[] = []
  /** Member names of the last object closed, in document order (see rememberShape). */
  shape: (string | undefined)[] = []
  /** Members of the objects being parsed, innermost last (names and values side by side). */
  readonly names: string[] = []
  readonly values: JsonValue[] = []
  top = 0

  constructor(
    readonly text: string,
    readonly maxDepth: number,
  ) {}

  parseDocument(): JsonValue {
    this.skipWhitespace()
    const value = this.parseValue(1)
    this.skipWhitespace()
    if (this.position !== this.text.length) this.fail('unexpected data after the JSON value', 1)
    return value
  }

  /** Refuses with `INPUT_SYNTAX` at the current offset; `depth` names the path. */
  fail(message: string, depth: number): never {
    throw new WritError('INPUT_SYNTAX', message, {
      details: { path: pointerOf(this.tokens, depth), offset: this.position },
    })
  }

  skipWhitespace(): void {
    const text = this.text
    let position = this.position
    while (position < text.length) {
      const code = text.charCodeAt(position)
      if (code === 0x20 || code === 0x0a || code === 0x0d || code === 0x09) position++
      else break
    }
    this.position = position
  }

  parseValue(depth: number): JsonValue {
    const code = this.text.charCodeAt(this.position)
    switch (code) {
      case 0x7b /* { */:
        return this.parseObject(depth)
      case 0x5b /* [ */:
        return this.parseArray(depth)
      case 0x22 /* " */:
        return this.parseString(depth)
      case 0x74 /* t */:
        return this.parseLiteral('true', true, depth)
      case 0x66 /* f */:
        return this.parseLiteral('false', false, depth)
      case 0x6e /* n */:
        return this.parseLiteral('null', null, depth)
      default:
        if (code === 0x2d || (code >= 0x30 && code <= 0x39)) return this.parseNumber(depth)
        return this.fail(
          this.position >= this.text.length ? 'unexpected end of input' : 'unexpected character',
          depth,
        )
    }
  }

  parseLiteral<T extends JsonValue>(word: string, value: T, depth: number): T {
    if (this.text.startsWith(word, this.position)) {
      this.position += word.length
      return value
    }
    return this.fail('invalid literal', depth)
  }

  enter(depth: number): void {
    if (depth > this.maxDepth) {
      throw new WritError('INPUT_TOO_DEEP', `JSON input nests deeper than ${this.maxDepth}`, {
        details: {
          path: pointerOf(this.tokens, depth),
          maxDepth: this.maxDepth,
          offset: this.position,
        },
      })
    }
  }

  parseObject(depth: number): JsonValue {
    this.enter(depth)
    this.position++ // {
    this.skipWhitespace()
    const base = this.top
    if (this.text.charCodeAt(this.position) === 0x7d) {
      this.position++
      return Object.freeze(nullPrototypeObject())
    }
    let sorted = true
    let seen: Set<string> | undefined
    for (;;) {
      this.skipWhitespace()
      const key = this.parseMemberName(depth, base, seen, this.top - base)
      const slot = this.top
      if (slot > base && sorted && !(this.names[slot - 1]! < key)) sorted = false
      if (seen !== undefined) seen.add(key)
      else if (slot - base === SCAN_LIMIT) seen = new Set([...this.names.slice(base, slot), key])
      this.names[slot] = key
      this.values[slot] = null
      this.top = slot + 1
      this.skipWhitespace()
      if (this.text.charCodeAt(this.position) !== 0x3a) this.fail('expected ":"', depth + 1)
      this.position++
      this.skipWhitespace()
      this.values[slot] = this.parseValue(depth + 1)
      this.skipWhitespace()
      const next = this.text.charCodeAt(this.position)
      if (next === 0x2c) {
        this.position++
        continue
      }
      if (next === 0x7d) {
        this.position++
        return this.closeObject(base, sorted)
      }
      this.fail('expected "," or "}"', depth)
    }
  }

  /** Parses and checks one member name; records it as the current token. */
  parseMemberName(
    depth: number,
    base: number,
    seen: Set<string> | undefined,
    member: number,
  ): string {
    const text = this.text
    if (text.charCodeAt(this.position) !== 0x22) this.fail('expected a member name', depth)
    const offset = this.position
    // Objects in a list mostly repeat the names of the one before: the same name, written
    // without escapes, is the same string (already known to the engine).
    const known = this.shape[member]
    let key: string
    if (
      known !== undefined &&
      text.startsWith(known, offset + 1) &&
      text.charCodeAt(offset + 1 + known.length) === 0x22
    ) {
      key = known
      this.position = offset + known.length + 2
    } else key = this.parseString(depth)
    this.tokens[depth] = key
    if (isForbiddenKey(key)) {
      throw new WritError('INPUT_FORBIDDEN_KEY', `key "${key}" is not allowed`, {
        details: { path: pointerOf(this.tokens, depth + 1), key, offset },
      })
    }
    if (seen !== undefined ? seen.has(key) : this.scanFor(key, base)) {
      throw new WritError('INPUT_DUPLICATE_KEY', 'duplicate member name', {
        details: { path: pointerOf(this.tokens, depth + 1), key, offset },
      })
    }
    if (!this.indexKeys && isIndexKey(key)) this.indexKeys = true
    return key
  }

  /**
   * Keeps the member names in `[base, end)`, in document order, for the next object; a
   * name that needs an escape in JSON or is not ASCII is kept as `undefined` (never reused).
   */
  rememberShape(base: number, end: number): void {
    const names = this.names
    const shape = this.shape
    let same = shape.length === end - base
    for (let index = base; same && index < end; index++) same = names[index] === shape[index - base]
    if (same) return
    this.shape = names.slice(base, end).map((name) => (PLAIN_NAME.test(name) ? name : undefined))
  }

  /** True when `key` is among the member names parsed since `base`. */
  scanFor(key: string, base: number): boolean {
    const names = this.names
    for (let index = this.top - 1; index >= base; index--) if (names[index] === key) return true
    return false
  }

  /** Builds the frozen object of the members parsed since `base`, in canonical order. */
  closeObject(base: number, sorted: boolean): JsonValue {
    const names = this.names
    const values = this.values
    const end = this.top
    this.rememberShape(base, end)
    const object = nullPrototypeObject()
    if (sorted || end - base <= 16) {
      if (!sorted) sortMembers(names, values, base, end)
      for (let index = base; index < end; index++) object[names[index]!] = values[index]!
    } else {
      const byName = new Map<string, JsonValue>()
      for (let index = base; index < end; index++) byName.set(names[index]!, values[index]!)
      const keys = names.slice(base, end)
      sortKeys(keys)
      for (const key of keys) object[key] = byName.get(key)!
    }
    this.top = base
    return Object.freeze(object)
  }

  parseArray(depth: number): JsonValue {
    this.enter(depth)
    this.position++ // [
    const result: JsonValue[] = []
    this.skipWhitespace()
    if (this.text.charCodeAt(this.position) === 0x5d) {
      this.position++
      return Object.freeze(result) as JsonValue
    }
    for (;;) {
      this.skipWhitespace()
      this.tokens[depth] = result.length
      result.push(this.parseValue(depth + 1))
      this.skipWhitespace()
      const next = this.text.charCodeAt(this.position)
      if (next === 0x2c) {
        this.position++
        continue
      }
      if (next === 0x5d) {
        this.position++
        return Object.freeze(result) as JsonValue
      }
      this.fail('expected "," or "]"', depth)
    }
  }

  parseString(depth: number): string {
    const text = this.text
    const start = this.position
    let position = start + 1
    let extra = 0
    let surrogates = false
    for (;;) {
      if (position >= text.length) {
        this.position = start
        this.fail('unterminated string', depth)
      }
      const code = text.charCodeAt(position)
      if (code === 0x22 || code === 0x5c) break
      if (code < 0x20) {
        this.position = position
        this.fail('control character in string', depth)
      }
      if (code >= 0x80) {
        // Two bytes below U+0800, else three; a surrogate pair (two units) is four bytes,
        // a lone surrogate three (as U+FFFD), like utf8ByteLength counts them.
        extra += code < 0x800 ? 1 : 2
        if (code >= 0xd800 && code <= 0xdfff) {
          surrogates = true
          if (code <= 0xdbff && isLowSurrogate(text.charCodeAt(position + 1))) position++
        }
      }
      position++
    }
    this.extraBytes += extra
    let result: string
    if (text.charCodeAt(position) === 0x22) {
      result = text.slice(start + 1, position)
      this.position = position + 1
    } else {
      this.position = position
      result = text.slice(start + 1, position) + this.parseEscapedRest(start, depth)
      surrogates = true
    }
    if (surrogates && !isWellFormedText(result)) {
      throw new WritError('INPUT_LONE_SURROGATE', 'string contains a lone surrogate', {
        details: { path: pointerOf(this.tokens, depth), offset: start },
      })
    }
    return result
  }

  /** The rest of a string from its first backslash; leaves the position after the quote. */
  parseEscapedRest(start: number, depth: number): string {
    const text = this.text
    let result = ''
    let chunkStart = this.position
    for (;;) {
      if (this.position >= text.length) {
        this.position = start
        this.fail('unterminated string', depth)
      }
      const code = text.charCodeAt(this.position)
      if (code === 0x22) {
        result += text.slice(chunkStart, this.position)
        this.position++
        return result
      }
      if (code < 0x20) this.fail('control character in string', depth)
      if (code === 0x5c) {
        result += text.slice(chunkStart, this.position)
        result += this.parseEscape(depth)
        chunkStart = this.position
        continue
      }
      if (code >= 0x80) {
        this.extraBytes += code < 0x800 ? 1 : 2
        if (
          code >= 0xd800 &&
          code <= 0xdbff &&
          isLowSurrogate(text.charCodeAt(this.position + 1))
        ) {
          this.position++
        }
      }
      this.position++
    }
  }

  parseEscape(depth: number): string {
    const text = this.text
    const escaped = text.charCodeAt(this.position + 1)
    this.position += 2
    switch (escaped) {
      case 0x22:
        return '"'
      case 0x5c:
        return '\\'
      case 0x2f:
        return '/'
      case 0x62:
        return '\b'
      case 0x66:
        return '\f'
      case 0x6e:
        return '\n'
      case 0x72:
        return '\r'
      case 0x74:
        return '\t'
      case 0x75: {
        const hex = text.slice(this.position, this.position + 4)
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('invalid \\u escape', depth)
        this.position += 4
        return String.fromCharCode(Number.parseInt(hex, 16))
      }
      default:
        this.position -= 2
        return this.fail('invalid escape', depth)
    }
  }

  parseNumber(depth: number): number {
    const text = this.text
    const start = this.position
    if (text.charCodeAt(this.position) === 0x2d) this.position++
    const first = text.charCodeAt(this.position)
    if (first === 0x30) this.position++
    else if (first >= 0x31 && first <= 0x39) this.skipDigits()
    else this.fail('invalid number', depth)
    const next = text.charCodeAt(this.position)
    if (next !== 0x2e && next !== 0x65 && next !== 0x45 && this.position - start <= 15) {
      return smallInteger(text, start, this.position)
    }
    if (next === 0x2e) {
      this.position++
      if (!this.skipDigits()) this.fail('invalid number: digits expected after "."', depth)
    }
    const exponent = text.charCodeAt(this.position)
    if (exponent === 0x65 || exponent === 0x45) {
      this.position++
      const sign = text.charCodeAt(this.position)
      if (sign === 0x2b || sign === 0x2d) this.position++
      if (!this.skipDigits()) this.fail('invalid number: digits expected in exponent', depth)
    }
    const value = Number(text.slice(start, this.position))
    // Finite and within ±(2^53−1) (beyond it every number is an integer), or checkNumber
    // says why not.
    if (!(Math.abs(value) <= Number.MAX_SAFE_INTEGER)) {
      checkNumber(value, pointerOf(this.tokens, depth))
    }
    return value === 0 ? 0 : value
  }

  skipDigits(): boolean {
    const text = this.text
    const start = this.position
    let position = start
    while (position < text.length) {
      const code = text.charCodeAt(position)
      if (code < 0x30 || code > 0x39) break
      position++
    }
    this.position = position
    return position > start
  }
}
