import { type CanonicalCopy, copyCanonical, tooLarge } from './canonical-copy.js'
import { parseCanonical } from './canonical-parse.js'
import { isPlainObject } from './canonicalize.js'
import { digestOf } from './digest.js'
import { utf8Decode, utf8Encode } from './encoding.js'
import { WritError } from './errors.js'
import { type JsonLimits, resolveLimits } from './json.js'
import type { Digest, JsonObject } from './types.js'

/** Action arguments in their one canonical form (spec section 2). */
export interface CanonicalArgs {
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
export function canonicalArgs(args: unknown, limits?: JsonLimits): CanonicalArgs {
  const { maxDepth, maxBytes } = resolveLimits(limits)
  let result: CanonicalCopy
  let fromValue = false
  if (typeof args === 'string') {
    result = parseCanonical(args, maxDepth, maxBytes)
  } else if (args instanceof Uint8Array) {
    if (args.length > maxBytes) throw tooLarge(maxBytes)
    result = parseCanonical(decodeArguments(args), maxDepth, maxBytes)
  } else {
    result = copyCanonical(args, maxDepth, maxBytes)
    fromValue = true
  }
  const { value, canonical } = result
  if (!isPlainObject(value)) {
    throw new WritError('INPUT_NOT_OBJECT', 'arguments must be a JSON object', {
      details: { path: '' },
    })
  }
  return Object.freeze({
    value: value as Readonly<JsonObject>,
    canonical,
    digest: fromValue ? checkedDigest(canonical, maxBytes) : digestOf(canonical),
  })
}

function decodeArguments(bytes: Uint8Array): string {
  try {
    return utf8Decode(bytes)
  } catch (error) {
    throw new WritError('INPUT_SYNTAX', 'arguments are not valid UTF-8', {
      cause: error,
      details: { path: '' },
    })
  }
}

/**
 * The digest of the canonical text of a JavaScript value, after checking that its UTF-8
 * bytes fit `maxBytes`. Those bytes are counted only when the text could exceed it.
 */
function checkedDigest(canonical: string, maxBytes: number): Digest {
  if (canonical.length > maxBytes) throw tooLarge(maxBytes)
  if (canonical.length * 3 <= maxBytes) return digestOf(canonical)
  const bytes = utf8Encode(canonical)
  if (bytes.length > maxBytes) throw tooLarge(maxBytes)
  return digestOf(bytes)
}

/** What is left of the output {@link bestEffortDigest} may still write. */
interface SizeBudget {
  remaining: number
}

/** The most characters {@link bestEffortDigest} serializes before it writes `"[Truncated]"`. */
const MAX_BEST_EFFORT_CHARS = 16 * 1024 * 1024

/**
 * A digest for arguments that were refused, so that the DENY receipt still binds what was
 * received (spec section 2). Never throws, and its work is bounded whatever the input.
 *
 * - a string: SHA-256 of its UTF-8 bytes, exactly as received (lone surrogates become
 *   U+FFFD, as `TextEncoder` writes them);
 * - a `Uint8Array`: SHA-256 of those bytes;
 * - any other value: SHA-256 of a tolerant serialization that equals its RFC 8785 form
 *   when it has one: JCS sorted members, where non-finite numbers are written as
 *   strings (`"NaN"`, `"Infinity"`), bigints as decimal strings, `undefined`, functions,
 *   symbols and array holes as `null`, a cycle as `"[Circular]"`, a property whose getter
 *   throws as `"[Unreadable]"`, nesting beyond 1 000 levels as `"[Deep]"`, non-plain
 *   objects by their own enumerable members, lone surrogates as `\uXXXX` escapes, and
 *   everything past 16 MiB of output (an array claiming billions of elements) as
 *   `"[Truncated]"`. If even that fails (a hostile proxy), the digest of the empty string.
 */
export function bestEffortDigest(args: unknown): Digest {
  try {
    if (typeof args === 'string') return digestOf(args)
    if (args instanceof Uint8Array) return digestOf(args)
    return digestOf(tolerantSerialize(args, new Set(), 0, { remaining: MAX_BEST_EFFORT_CHARS }))
  } catch {
    return digestOf('')
  }
}

const TRUNCATED = '"[Truncated]"'

function tolerantSerialize(
  value: unknown,
  ancestors: Set<object>,
  depth: number,
  budget: SizeBudget,
): string {
  if (budget.remaining <= 0) return TRUNCATED
  const text = tolerantScalar(value)
  if (text !== undefined) {
    budget.remaining -= text.length
    return budget.remaining < 0 ? TRUNCATED : text
  }
  const container = value as object
  if (ancestors.has(container)) return '"[Circular]"'
  if (depth >= 1000) return '"[Deep]"'
  ancestors.add(container)
  let result: string
  if (Array.isArray(container)) {
    const parts: string[] = []
    const length = container.length
    for (let index = 0; index < length; index++) {
      if (budget.remaining <= 0) {
        parts.push(TRUNCATED)
        break
      }
      budget.remaining -= 1
      parts.push(readTolerant(container, index, ancestors, depth, budget))
    }
    result = `[${parts.join(',')}]`
  } else {
    const keys = Object.keys(container).sort()
    const parts: string[] = []
    for (const key of keys) {
      if (budget.remaining <= 0) {
        parts.push(`${JSON.stringify('[Truncated]')}:null`)
        break
      }
      const name = JSON.stringify(key)
      budget.remaining -= name.length + 2
      parts.push(`${name}:${readTolerant(container, key, ancestors, depth, budget)}`)
    }
    result = `{${parts.join(',')}}`
  }
  ancestors.delete(container)
  return result
}

/** The serialization of a non-container value, or `undefined` for an object or array. */
function tolerantScalar(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value)
    case 'number':
      return Number.isFinite(value) ? String(value) : JSON.stringify(String(value))
    case 'bigint':
      return JSON.stringify(value.toString())
    case 'boolean':
      return value ? 'true' : 'false'
    case 'object':
      return value === null ? 'null' : undefined
    default:
      return 'null'
  }
}

function readTolerant(
  container: object,
  key: string | number,
  ancestors: Set<object>,
  depth: number,
  budget: SizeBudget,
): string {
  let item: unknown
  try {
    item = (container as Record<string | number, unknown>)[key]
  } catch {
    return '"[Unreadable]"'
  }
  return tolerantSerialize(item, ancestors, depth + 1, budget)
}
