import { findLoneSurrogate } from './encoding.js'
import { WritError } from './errors.js'
import { appendPointer } from './json-pointer.js'

/**
 * RFC 8785 JSON Canonicalization Scheme (JCS). Object members are sorted by their UTF-16
 * code units, numbers are written as ECMAScript writes them, strings with the minimal JSON
 * escapes, and there is no whitespace.
 *
 * Accepts `null`, booleans, finite numbers, strings without lone surrogates, arrays and
 * plain objects (prototype `Object.prototype` or `null`; own enumerable string keys).
 * This function is the pure scheme: it does not refuse unsafe integers or forbidden keys;
 * {@link canonicalArgs} adds those I-JSON rules for action arguments.
 *
 * @throws WritError `INPUT_NON_FINITE_NUMBER` for NaN and ±Infinity,
 *   `INPUT_LONE_SURROGATE` for a string or key that is not well-formed UTF-16,
 *   `INPUT_UNSUPPORTED_TYPE` for `undefined`, functions, symbols, bigints, sparse arrays,
 *   cycles and any object that is not a plain object or array (Date, Map, class instances…).
 *   `details.path` is the JSON Pointer of the offending value.
 *
 * @example
 * ```ts
 * canonicalize({ b: 1, a: [true, 2.50] }) // '{"a":[true,2.5],"b":1}'
 * ```
 */
export function canonicalize(value: unknown): string {
  return serialize(value, '', new Set())
}

function serialize(value: unknown, path: string, ancestors: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return serializeString(value, path)
    case 'number':
      if (!Number.isFinite(value)) {
        throw new WritError('INPUT_NON_FINITE_NUMBER', 'NaN and Infinity are not JSON', {
          details: { path },
        })
      }
      // ECMAScript Number::toString is exactly RFC 8785's number format; -0 prints as "0".
      return String(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'object':
      if (value === null) return 'null'
      return serializeContainer(value, path, ancestors)
    default:
      throw unsupported(path, typeof value)
  }
}

function serializeContainer(value: object, path: string, ancestors: Set<object>): string {
  if (ancestors.has(value)) throw unsupported(path, 'circular reference')
  if (Array.isArray(value)) {
    ancestors.add(value)
    const parts: string[] = []
    for (let index = 0; index < value.length; index++) {
      const itemPath = appendPointer(path, index)
      if (!Object.hasOwn(value, index)) throw unsupported(itemPath, 'sparse array hole')
      parts.push(serialize(value[index], itemPath, ancestors))
    }
    ancestors.delete(value)
    return `[${parts.join(',')}]`
  }
  if (!isPlainObject(value)) throw unsupported(path, describe(value))
  ancestors.add(value)
  // Default sort compares UTF-16 code units, which is what RFC 8785 section 3.2.3 requires.
  const keys = Object.keys(value).sort()
  const record = value as Record<string, unknown>
  const parts: string[] = []
  for (const key of keys) {
    const memberPath = appendPointer(path, key)
    parts.push(
      `${serializeString(key, memberPath)}:${serialize(record[key], memberPath, ancestors)}`,
    )
  }
  ancestors.delete(value)
  return `{${parts.join(',')}}`
}

function serializeString(text: string, path: string): string {
  if (findLoneSurrogate(text) !== -1) {
    throw new WritError('INPUT_LONE_SURROGATE', 'string contains a lone surrogate', {
      details: { path },
    })
  }
  // For well-formed strings JSON.stringify emits exactly the RFC 8785 escapes:
  // \" \\ \b \f \n \r \t, other controls as lowercase \u00xx, everything else as is.
  return JSON.stringify(text)
}

/** True for objects whose prototype is `Object.prototype` or `null`. @internal */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}

function describe(value: object): string {
  const prototype = Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null
  const name = prototype?.constructor?.name
  return typeof name === 'string' && name !== '' ? `${name} instance` : 'non-plain object'
}

function unsupported(path: string, what: string): WritError {
  return new WritError('INPUT_UNSUPPORTED_TYPE', `${what} is not a JSON value`, {
    details: { path, type: what },
  })
}
