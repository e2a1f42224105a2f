/**
 * The implementation of `canonicalArgs` before the one-pass rewrite (validate, copy and
 * freeze; then `canonicalize`; then the size check and the digest), kept verbatim as the
 * oracle of the differential tests in `src/canonical-args.differential.test.ts`. Test-only:
 * never built into the package.
 */

import { createHash } from 'node:crypto'
import { canonicalize, isPlainObject } from '../src/canonicalize.js'
import { findLoneSurrogate, utf8ByteLength, utf8Decode } from '../src/encoding.js'
import { WritError } from '../src/errors.js'
import {
  checkNumber,
  isForbiddenKey,
  type JsonLimits,
  parseJson,
  resolveLimits,
} from '../src/json.js'
import { appendPointer } from '../src/json-pointer.js'
import type { Digest, JsonObject, JsonValue } from '../src/types.js'

/** Action arguments in their one canonical form (spec section 2). */
interface CanonicalArgs {
  /**
   * A fresh, deep-frozen copy of the arguments: what the receipt's digest binds. Its objects
   * have a `null` prototype, so nothing added to `Object.prototype` in this process (prototype
   * pollution) appears as an argument; use `Object.hasOwn(args, key)`, not
   * `args.hasOwnProperty(key)`. Arrays are frozen arrays.
   */
  readonly value: Readonly<JsonObject>
  /** The RFC 8785 canonical JSON text. */
  readonly canonical: string
  /** `sha256:` + hex of the UTF-8 bytes of {@link CanonicalArgs.canonical}: the receipt's `act.args`. */
  readonly digest: Digest
}

/**
 * Validates action arguments and computes their canonical form and digest.
 *
 * `args` may be raw JSON text (preferred: model output is raw JSON, and only raw text shows
 * duplicate keys), the UTF-8 bytes of it, or a JavaScript value. A JavaScript value must be
 * built of plain objects and arrays with own enumerable string keys, strings, finite numbers,
 * booleans and `null`. Either way the I-JSON rules of spec section 2 apply: no forbidden key
 * (`__proto__`, `constructor`, `prototype`) anywhere, no lone surrogate, no NaN/Infinity,
 * no integer-valued number beyond ±(2^53−1), bounded depth and size (for text: the bytes
 * received; for a value: the canonical bytes). The top level must be an object.
 * `250` and `250.0` are the same number and give the same digest.
 *
 * The returned `value` is built of null-prototype objects and frozen arrays: a tool that
 * receives it sees only the members the receipt binds, even if `Object.prototype` was polluted.
 *
 * @throws WritError with an input code (`INPUT_SYNTAX`, `INPUT_NOT_OBJECT`,
 *   `INPUT_DUPLICATE_KEY`, `INPUT_FORBIDDEN_KEY`, `INPUT_LONE_SURROGATE`,
 *   `INPUT_NON_FINITE_NUMBER`, `INPUT_UNSAFE_INTEGER`, `INPUT_UNSUPPORTED_TYPE`,
 *   `INPUT_TOO_DEEP`, `INPUT_TOO_LARGE`) and `details.path`.
 *
 * @example
 * ```ts
 * const { digest, value } = canonicalArgs('{"to":"acct_1","amount":250.0}')
 * // value is { amount: 250, to: 'acct_1' }, frozen, null-prototype; digest is 'sha256:…'
 * ```
 */
export function oracleCanonicalArgs(args: unknown, limits?: JsonLimits): CanonicalArgs {
  const resolved = resolveLimits(limits)
  let value: JsonValue
  if (typeof args === 'string') {
    value = freezeDetached(parseJson(args, resolved))
  } else if (args instanceof Uint8Array) {
    if (args.length > resolved.maxBytes) throw tooLarge(resolved.maxBytes)
    let text: string
    try {
      text = utf8Decode(args)
    } catch (error) {
      throw new WritError('INPUT_SYNTAX', 'arguments are not valid UTF-8', {
        cause: error,
        details: { path: '' },
      })
    }
    value = freezeDetached(parseJson(text, resolved))
  } else {
    value = copyValue(args, '', 1, {
      maxDepth: resolved.maxDepth,
      maxBytes: resolved.maxBytes,
      budget: { remaining: resolved.maxBytes },
    })
  }
  if (!isPlainObject(value)) {
    throw new WritError('INPUT_NOT_OBJECT', 'arguments must be a JSON object', {
      details: { path: '' },
    })
  }
  const canonical = canonicalize(value)
  if (typeof args !== 'string' && !(args instanceof Uint8Array)) {
    if (utf8ByteLength(canonical) > resolved.maxBytes) throw tooLarge(resolved.maxBytes)
  }
  return Object.freeze({
    value: value as Readonly<JsonObject>,
    canonical,
    digest: `sha256:${createHash('sha256').update(new TextEncoder().encode(canonical)).digest('hex')}`,
  })
}

/**
 * Freezes a freshly parsed JSON value in place, giving each of its objects a `null`
 * prototype first: the parser's objects are ours alone, so this costs no copy.
 */
function freezeDetached(value: JsonValue): JsonValue {
  if (typeof value === 'object' && value !== null) {
    if (!Array.isArray(value)) Object.setPrototypeOf(value, null)
    for (const item of Object.values(value)) freezeDetached(item)
    Object.freeze(value)
  }
  return value
}

function tooLarge(maxBytes: number): WritError {
  return new WritError('INPUT_TOO_LARGE', `arguments exceed ${maxBytes} bytes`, {
    details: { path: '', maxBytes },
  })
}

/**
 * What is left of `maxBytes` while a value is copied: a lower bound of the canonical
 * size is charged as the copy goes, so a value far too large (an array that claims
 * billions of elements, a huge string) is refused before it is walked or serialized.
 * The exact check on the canonical bytes still follows.
 */
interface SizeBudget {
  remaining: number
}

/** Charges `bytes` (a lower bound of canonical UTF-8 bytes) against the budget. */
function charge(budget: SizeBudget, bytes: number, maxBytes: number): void {
  budget.remaining -= bytes
  if (budget.remaining < 0) throw tooLarge(maxBytes)
}

/** What one copy is held to: the nesting limit, the byte limit and what is left of it. */
interface CopyLimits {
  readonly maxDepth: number
  readonly maxBytes: number
  readonly budget: SizeBudget
}

/** Validates a JavaScript value as I-JSON and returns a deep-frozen, null-prototype copy. */
function copyValue(value: unknown, path: string, depth: number, limits: CopyLimits): JsonValue {
  // Every value is at least one byte; a string at least its UTF-16 length plus quotes.
  charge(limits.budget, typeof value === 'string' ? value.length + 2 : 1, limits.maxBytes)
  switch (typeof value) {
    case 'string':
      if (findLoneSurrogate(value) !== -1) {
        throw new WritError('INPUT_LONE_SURROGATE', 'string contains a lone surrogate', {
          details: { path },
        })
      }
      return value
    case 'number':
      checkNumber(value, path)
      return value === 0 ? 0 : value
    case 'boolean':
      return value
    case 'object':
      return value === null ? null : copyContainer(value, path, depth, limits)
    default:
      throw unsupported(path, typeof value)
  }
}

/** Copies an array or a plain object, after checking the nesting depth. */
function copyContainer(value: object, path: string, depth: number, limits: CopyLimits): JsonValue {
  if (depth > limits.maxDepth) {
    throw new WritError('INPUT_TOO_DEEP', `arguments nest deeper than ${limits.maxDepth}`, {
      details: { path, maxDepth: limits.maxDepth },
    })
  }
  if (Array.isArray(value)) return copyArray(value, path, depth, limits)
  if (!isPlainObject(value)) throw unsupported(path, 'non-plain object')
  return copyObject(value, path, depth, limits)
}

function copyArray(
  value: readonly unknown[],
  path: string,
  depth: number,
  limits: CopyLimits,
): JsonValue {
  const copy: JsonValue[] = []
  const length = value.length
  // Each element takes at least one byte: refuse before walking a huge length.
  if (!(length <= limits.budget.remaining)) throw tooLarge(limits.maxBytes)
  for (let index = 0; index < length; index++) {
    const itemPath = appendPointer(path, index)
    if (!Object.hasOwn(value, index)) throw unsupported(itemPath, 'sparse array hole')
    copy.push(copyValue(value[index], itemPath, depth + 1, limits))
  }
  return Object.freeze(copy) as JsonValue
}

function copyObject(
  value: Record<string, unknown>,
  path: string,
  depth: number,
  limits: CopyLimits,
): JsonValue {
  // No prototype: a polluted Object.prototype must not add members the receipt never bound.
  const copy = Object.create(null) as Record<string, JsonValue>
  // Object.keys: own enumerable string keys only; symbol keys are not JSON.
  for (const key of Object.keys(value)) {
    // A member costs at least its key's length, two quotes and a colon.
    charge(limits.budget, key.length + 3, limits.maxBytes)
    const memberPath = appendPointer(path, key)
    checkKey(key, memberPath)
    copy[key] = copyValue(readMember(value, key, memberPath), memberPath, depth + 1, limits)
  }
  return Object.freeze(copy)
}

function checkKey(key: string, path: string): void {
  if (isForbiddenKey(key)) {
    throw new WritError('INPUT_FORBIDDEN_KEY', `key "${key}" is not allowed`, {
      details: { path, key },
    })
  }
  if (findLoneSurrogate(key) !== -1) {
    throw new WritError('INPUT_LONE_SURROGATE', 'key contains a lone surrogate', {
      details: { path },
    })
  }
}

/** Reads one member; a getter that throws is refused, never skipped. */
function readMember(value: Record<string, unknown>, key: string, path: string): unknown {
  try {
    return value[key]
  } catch (error) {
    throw new WritError('INPUT_UNSUPPORTED_TYPE', 'a property could not be read', {
      cause: error,
      details: { path, type: 'unreadable property' },
    })
  }
}

function unsupported(path: string, what: string): WritError {
  return new WritError('INPUT_UNSUPPORTED_TYPE', `${what} is not a JSON value`, {
    details: { path, type: what },
  })
}
