import { findLoneSurrogate, utf8ByteLength } from './encoding.js'
import { WritError } from './errors.js'
import { appendPointer } from './json-pointer.js'
import type { JsonValue } from './types.js'

/** Bounds on a JSON input. Both are configurable; the defaults follow spec section 2. */
export interface JsonLimits {
  /** Maximum nesting of objects and arrays; `{}` has depth 1. Default 64. */
  readonly maxDepth?: number
  /** Maximum size in bytes of UTF-8. Default 1 MiB (1 048 576). */
  readonly maxBytes?: number
}

/** Default maximum nesting depth of arguments (spec section 2). */
export const DEFAULT_MAX_DEPTH = 64
/** Default maximum size of arguments, in bytes of UTF-8 (spec section 2). */
export const DEFAULT_MAX_BYTES = 1024 * 1024
/** The default {@link JsonLimits}. */
export const DEFAULT_JSON_LIMITS: Required<JsonLimits> = Object.freeze({
  maxDepth: DEFAULT_MAX_DEPTH,
  maxBytes: DEFAULT_MAX_BYTES,
})

/** Keys refused anywhere in Writ input: they reach into JavaScript prototypes. */
export const FORBIDDEN_KEYS: readonly string[] = Object.freeze([
  '__proto__',
  'constructor',
  'prototype',
])

/** True when `key` is one of {@link FORBIDDEN_KEYS}. */
export function isForbiddenKey(key: string): boolean {
  return key === '__proto__' || key === 'constructor' || key === 'prototype'
}

/** Resolves limits against the defaults and checks they are sane. @internal */
export function resolveLimits(limits: JsonLimits | undefined): Required<JsonLimits> {
  const maxDepth = limits?.maxDepth ?? DEFAULT_MAX_DEPTH
  const maxBytes = limits?.maxBytes ?? DEFAULT_MAX_BYTES
  if (!Number.isSafeInteger(maxDepth) || maxDepth < 1) {
    throw new RangeError('maxDepth must be a positive integer')
  }
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw new RangeError('maxBytes must be a positive integer')
  }
  return { maxDepth, maxBytes }
}

/** Refuses a number that is not finite, or an integer-valued one beyond ±(2^53−1). @internal */
export function checkNumber(value: number, path: string): void {
  if (!Number.isFinite(value)) {
    throw new WritError('INPUT_NON_FINITE_NUMBER', 'number is not finite', { details: { path } })
  }
  if (Number.isInteger(value) && !Number.isSafeInteger(value)) {
    throw new WritError('INPUT_UNSAFE_INTEGER', 'integer beyond ±(2^53−1) loses precision', {
      details: { path },
    })
  }
}

/**
 * A strict JSON parser (RFC 8259 grammar, I-JSON rules of RFC 7493 and Writ's spec
 * section 2). Unlike `JSON.parse` it sees duplicate keys and escaped lone surrogates.
 *
 * Objects are plain objects; since `__proto__`, `constructor` and `prototype` are refused,
 * no key can reach a prototype.
 *
 * @throws WritError with `details.path` (JSON Pointer) and, where useful, `details.offset`:
 *   `INPUT_TOO_LARGE` (more than `maxBytes` of UTF-8), `INPUT_SYNTAX`, `INPUT_DUPLICATE_KEY`,
 *   `INPUT_FORBIDDEN_KEY`, `INPUT_LONE_SURROGATE` (raw or `\uD800`-escaped),
 *   `INPUT_NON_FINITE_NUMBER` (a literal such as `1e400`), `INPUT_UNSAFE_INTEGER`
 *   (`9007199254740993`, `1e300`), `INPUT_TOO_DEEP` (more than `maxDepth` levels).
 *
 * @example
 * ```ts
 * parseJson('{"amount": 250.0}') // { amount: 250 }
 * parseJson('{"a":1,"a":2}')     // throws INPUT_DUPLICATE_KEY, details.path '/a'
 * ```
 */
export function parseJson(text: string, limits?: JsonLimits): JsonValue {
  const { maxDepth, maxBytes } = resolveLimits(limits)
  if (typeof text !== 'string') {
    throw new WritError('INPUT_SYNTAX', 'JSON input must be a string', { details: { path: '' } })
  }
  if (text.length > maxBytes || utf8ByteLength(text) > maxBytes) {
    throw new WritError('INPUT_TOO_LARGE', `JSON input exceeds ${maxBytes} bytes`, {
      details: { path: '', maxBytes },
    })
  }
  const parser = new Parser(text, maxDepth)
  try {
    parser.skipWhitespace()
    const value = parser.parseValue('', 1)
    parser.skipWhitespace()
    if (parser.position !== text.length) parser.fail('unexpected data after the JSON value', '')
    return value
  } catch (error) {
    if (error instanceof RangeError && !WritError.isInstance(error)) {
      // Stack exhaustion with a very large configured maxDepth: still a refusal, never a pass.
      throw new WritError('INPUT_TOO_DEEP', 'JSON input nests too deeply', {
        cause: error,
        details: { path: '' },
      })
    }
    throw error
  }
}

class Parser {
  position = 0

  constructor(
    readonly text: string,
    readonly maxDepth: number,
  ) {}

  fail(message: string, path: string): never {
    throw new WritError('INPUT_SYNTAX', message, { details: { path, offset: this.position } })
  }

  skipWhitespace(): void {
    const text = this.text
    while (this.position < text.length) {
      const code = text.charCodeAt(this.position)
      if (code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d) this.position++
      else break
    }
  }

  parseValue(path: string, depth: number): JsonValue {
    const code = this.text.charCodeAt(this.position)
    switch (code) {
      case 0x7b /* { */:
        return this.parseObject(path, depth)
      case 0x5b /* [ */:
        return this.parseArray(path, depth)
      case 0x22 /* " */:
        return this.parseString(path)
      case 0x74 /* t */:
        return this.parseLiteral('true', true, path)
      case 0x66 /* f */:
        return this.parseLiteral('false', false, path)
      case 0x6e /* n */:
        return this.parseLiteral('null', null, path)
      default:
        if (code === 0x2d || (code >= 0x30 && code <= 0x39)) return this.parseNumber(path)
        return this.fail(
          this.position >= this.text.length ? 'unexpected end of input' : 'unexpected character',
          path,
        )
    }
  }

  parseLiteral<T extends JsonValue>(word: string, value: T, path: string): T {
    if (this.text.startsWith(word, this.position)) {
      this.position += word.length
      return value
    }
    return this.fail('invalid literal', path)
  }

  enter(path: string, depth: number): void {
    if (depth > this.maxDepth) {
      throw new WritError('INPUT_TOO_DEEP', `JSON input nests deeper than ${this.maxDepth}`, {
        details: { path, maxDepth: this.maxDepth, offset: this.position },
      })
    }
  }

  parseObject(path: string, depth: number): JsonValue {
    this.enter(path, depth)
    this.position++ // {
    const result: Record<string, JsonValue> = {}
    this.skipWhitespace()
    if (this.text.charCodeAt(this.position) === 0x7d) {
      this.position++
      return result
    }
    for (;;) {
      this.skipWhitespace()
      if (this.text.charCodeAt(this.position) !== 0x22) this.fail('expected a member name', path)
      const keyOffset = this.position
      const key = this.parseString(path)
      const memberPath = appendPointer(path, key)
      if (isForbiddenKey(key)) {
        throw new WritError('INPUT_FORBIDDEN_KEY', `key "${key}" is not allowed`, {
          details: { path: memberPath, key, offset: keyOffset },
        })
      }
      if (Object.hasOwn(result, key)) {
        throw new WritError('INPUT_DUPLICATE_KEY', 'duplicate member name', {
          details: { path: memberPath, key, offset: keyOffset },
        })
      }
      this.skipWhitespace()
      if (this.text.charCodeAt(this.position) !== 0x3a) this.fail('expected ":"', memberPath)
      this.position++
      this.skipWhitespace()
      result[key] = this.parseValue(memberPath, depth + 1)
      this.skipWhitespace()
      const next = this.text.charCodeAt(this.position)
      if (next === 0x2c) {
        this.position++
        continue
      }
      if (next === 0x7d) {
        this.position++
        return result
      }
      this.fail('expected "," or "}"', path)
    }
  }

  parseArray(path: string, depth: number): JsonValue {
    this.enter(path, depth)
    this.position++ // [
    const result: JsonValue[] = []
    this.skipWhitespace()
    if (this.text.charCodeAt(this.position) === 0x5d) {
      this.position++
      return result
    }
    for (;;) {
      this.skipWhitespace()
      result.push(this.parseValue(appendPointer(path, result.length), depth + 1))
      this.skipWhitespace()
      const next = this.text.charCodeAt(this.position)
      if (next === 0x2c) {
        this.position++
        continue
      }
      if (next === 0x5d) {
        this.position++
        return result
      }
      this.fail('expected "," or "]"', path)
    }
  }

  parseString(path: string): string {
    const text = this.text
    const start = this.position
    this.position++ // opening quote
    let result = ''
    let chunkStart = this.position
    for (;;) {
      if (this.position >= text.length) {
        this.position = start
        this.fail('unterminated string', path)
      }
      const code = text.charCodeAt(this.position)
      if (code === 0x22) {
        result += text.slice(chunkStart, this.position)
        this.position++
        break
      }
      if (code < 0x20) this.fail('control character in string', path)
      if (code === 0x5c) {
        result += text.slice(chunkStart, this.position)
        result += this.parseEscape(path)
        chunkStart = this.position
        continue
      }
      this.position++
    }
    if (findLoneSurrogate(result) !== -1) {
      throw new WritError('INPUT_LONE_SURROGATE', 'string contains a lone surrogate', {
        details: { path, offset: start },
      })
    }
    return result
  }

  parseEscape(path: string): string {
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
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('invalid \\u escape', path)
        this.position += 4
        return String.fromCharCode(Number.parseInt(hex, 16))
      }
      default:
        this.position -= 2
        return this.fail('invalid escape', path)
    }
  }

  parseNumber(path: string): number {
    const text = this.text
    const start = this.position
    if (text.charCodeAt(this.position) === 0x2d) this.position++
    const first = text.charCodeAt(this.position)
    if (first === 0x30) this.position++
    else if (first >= 0x31 && first <= 0x39) this.skipDigits()
    else this.fail('invalid number', path)
    if (text.charCodeAt(this.position) === 0x2e) {
      this.position++
      if (!this.skipDigits()) this.fail('invalid number: digits expected after "."', path)
    }
    const exponent = text.charCodeAt(this.position)
    if (exponent === 0x65 || exponent === 0x45) {
      this.position++
      const sign = text.charCodeAt(this.position)
      if (sign === 0x2b || sign === 0x2d) this.position++
      if (!this.skipDigits()) this.fail('invalid number: digits expected in exponent', path)
    }
    const value = Number(text.slice(start, this.position))
    checkNumber(value, path)
    return value
  }

  skipDigits(): boolean {
    const start = this.position
    while (this.position < this.text.length) {
      const code = this.text.charCodeAt(this.position)
      if (code < 0x30 || code > 0x39) break
      this.position++
    }
    return this.position > start
  }
}
