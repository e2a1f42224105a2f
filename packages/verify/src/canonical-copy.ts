import {
  canonicalTextOf,
  isIndexKey,
  nullPrototypeObject,
  pointerOf,
  sortKeys,
} from './canonical-output.js'
import { isPlainObject } from './canonicalize.js'
import { isWellFormedText } from './encoding.js'
import { WritError } from './errors.js'
import { checkNumber, isForbiddenKey } from './json.js'
import type { JsonValue } from './types.js'

/** A validated copy of a JavaScript value and its RFC 8785 text. @internal */
export interface CanonicalCopy {
  readonly value: JsonValue
  readonly canonical: string
}

/**
 * Validates a JavaScript value as I-JSON (spec section 2) and, in the same walk, builds its
 * deep-frozen, null-prototype copy with members in canonical order; the canonical text
 * is then written from the copy. JSON Pointers are built only for an error.
 *
 * A lower bound of the canonical size is charged against `maxBytes` as the walk goes, so
 * a value far too large is refused before it is walked; the caller checks the exact size.
 * @internal
 */
export function copyCanonical(value: unknown, maxDepth: number, maxBytes: number): CanonicalCopy {
  const copier = new Copier(maxDepth, maxBytes)
  let copy: JsonValue
  try {
    copy = copier.copy(value, 1)
  } catch (error) {
    if (error instanceof RangeError && !WritError.isInstance(error)) {
      // Stack exhaustion under a very large configured maxDepth: a refusal, never a pass.
      throw new WritError('INPUT_TOO_DEEP', 'arguments nest too deeply', {
        cause: error,
        details: { path: '' },
      })
    }
    throw error
  }
  return { value: copy, canonical: canonicalTextOf(copy, copier.indexKeys) }
}

/** Refusal for arguments larger than `maxBytes`. @internal */
export function tooLarge(maxBytes: number): WritError {
  return new WritError('INPUT_TOO_LARGE', `arguments exceed ${maxBytes} bytes`, {
    details: { path: '', maxBytes },
  })
}

class Copier {
  /** What is left of `maxBytes` (a lower bound of the canonical bytes is charged). */
  remaining: number
  /** Some member name is an array index: the copy is serialized by the portable path. */
  indexKeys = false
  /** `tokens[d]`: the member name or index being walked in the container at depth `d`. */
  readonly tokens: (string | number)[] = []
  /** Member names of the last object copied, as listed, and sorted (and checked). */
  lastNames: readonly string[] = []
  lastSorted: string[] = []

  constructor(
    readonly maxDepth: number,
    readonly maxBytes: number,
  ) {
    this.remaining = maxBytes
  }

  copy(value: unknown, depth: number): JsonValue {
    switch (typeof value) {
      case 'string':
        // At least its UTF-16 length plus two quotes.
        this.charge(value.length + 2)
        if (!isWellFormedText(value)) {
          throw new WritError('INPUT_LONE_SURROGATE', 'string contains a lone surrogate', {
            details: { path: pointerOf(this.tokens, depth) },
          })
        }
        return value
      case 'number':
        this.charge(1)
        // Finite and within ±(2^53−1), or checkNumber says why not.
        if (!(Math.abs(value) <= Number.MAX_SAFE_INTEGER)) {
          checkNumber(value, pointerOf(this.tokens, depth))
        }
        return value === 0 ? 0 : value
      case 'boolean':
        this.charge(1)
        return value
      case 'object':
        this.charge(1)
        return value === null ? null : this.copyContainer(value, depth)
      default:
        this.charge(1)
        throw this.unsupported(depth, typeof value)
    }
  }

  charge(bytes: number): void {
    this.remaining -= bytes
    if (this.remaining < 0) throw tooLarge(this.maxBytes)
  }

  copyContainer(value: object, depth: number): JsonValue {
    if (depth > this.maxDepth) {
      throw new WritError('INPUT_TOO_DEEP', `arguments nest deeper than ${this.maxDepth}`, {
        details: { path: pointerOf(this.tokens, depth), maxDepth: this.maxDepth },
      })
    }
    if (Array.isArray(value)) return this.copyArray(value, depth)
    if (!isPlainObject(value)) throw this.unsupported(depth, 'non-plain object')
    return this.copyObject(value, depth)
  }

  copyArray(value: readonly unknown[], depth: number): JsonValue {
    const length = value.length
    // Each element takes at least one byte: refuse before walking a huge length.
    if (!(length <= this.remaining)) throw tooLarge(this.maxBytes)
    const copy: JsonValue[] = []
    const tokens = this.tokens
    for (let index = 0; index < length; index++) {
      tokens[depth] = index
      if (!Object.hasOwn(value, index)) throw this.unsupported(depth + 1, 'sparse array hole')
      copy.push(this.copy(value[index], depth + 1))
    }
    return Object.freeze(copy) as JsonValue
  }

  copyObject(value: Record<string, unknown>, depth: number): JsonValue {
    // Own enumerable string keys only (symbol keys are not JSON), walked in canonical order.
    const own = Object.keys(value)
    // Objects in a list mostly share their member names: the names of the last object
    // copied are already sorted and checked.
    const known = sameNames(own, this.lastNames)
    // Sorted apart from the listed names, so that the pair remembered is one listing.
    const keys = known ? this.lastSorted : own.slice()
    if (!known) sortKeys(keys)
    // No prototype: a polluted Object.prototype must not add members the receipt never bound.
    const copy = nullPrototypeObject()
    const tokens = this.tokens
    for (let index = 0; index < keys.length; index++) {
      const key = keys[index]!
      // A member costs at least its name's length, two quotes and a colon.
      this.charge(key.length + 3)
      tokens[depth] = key
      if (!known) this.checkKey(key, depth)
      let member: unknown
      try {
        member = value[key]
      } catch (error) {
        throw this.unreadable(error, depth)
      }
      copy[key] = this.copy(member, depth + 1)
    }
    if (!known) {
      this.lastNames = own
      this.lastSorted = keys
    }
    return Object.freeze(copy)
  }

  checkKey(key: string, depth: number): void {
    if (isForbiddenKey(key)) {
      throw new WritError('INPUT_FORBIDDEN_KEY', `key "${key}" is not allowed`, {
        details: { path: pointerOf(this.tokens, depth + 1), key },
      })
    }
    if (!isWellFormedText(key)) {
      throw new WritError('INPUT_LONE_SURROGATE', 'key contains a lone surrogate', {
        details: { path: pointerOf(this.tokens, depth + 1) },
      })
    }
    if (!this.indexKeys && isIndexKey(key)) this.indexKeys = true
  }

  /** A getter that throws is refused, never skipped. */
  unreadable(error: unknown, depth: number): WritError {
    return new WritError('INPUT_UNSUPPORTED_TYPE', 'a property could not be read', {
      cause: error,
      details: { path: pointerOf(this.tokens, depth + 1), type: 'unreadable property' },
    })
  }

  unsupported(depth: number, what: string): WritError {
    return new WritError('INPUT_UNSUPPORTED_TYPE', `${what} is not a JSON value`, {
      details: { path: pointerOf(this.tokens, depth), type: what },
    })
  }
}

/** True when two lists of member names are the same, in the same order. */
function sameNames(names: readonly string[], last: readonly string[]): boolean {
  const length = names.length
  if (length !== last.length || length === 0) return false
  for (let index = 0; index < length; index++) if (names[index] !== last[index]) return false
  return true
}
