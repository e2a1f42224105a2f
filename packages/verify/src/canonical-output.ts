import { canonicalize } from './canonicalize.js'
import { appendPointer } from './json-pointer.js'
import type { JsonValue } from './types.js'

/**
 * Shared parts of the one-pass canonicalization of action arguments (`canonical-copy.ts`
 * for JavaScript values, `canonical-parse.ts` for raw JSON text).
 *
 * Both build a fresh copy whose objects have their members inserted in RFC 8785 order
 * (UTF-16 code units), so that the engine's own `JSON.stringify` of the copy writes the
 * canonical bytes: for a validated value (finite numbers, well-formed strings, plain
 * data) its number format and string escapes are exactly RFC 8785's. Two things can
 * break that equivalence, and both send the copy to the portable serializer instead:
 * member names that are array indices (engines list them first, in numeric order,
 * whatever the insertion order), and a `toJSON` reachable from the copy's arrays
 * (`Array.prototype` or `Object.prototype` polluted in this process).
 */

/** The JSON Pointer of the value at `depth`, from the tokens its ancestors recorded. */
export function pointerOf(tokens: readonly (string | number)[], depth: number): string {
  let pointer = ''
  for (let level = 1; level < depth; level++) pointer = appendPointer(pointer, tokens[level]!)
  return pointer
}

/**
 * True when `key` may be an array index ("0" to "4294967294"), which engines enumerate
 * first. Errs on the safe side: any name made of digits only counts.
 */
export function isIndexKey(key: string): boolean {
  const length = key.length
  if (length === 0) return false
  for (let index = 0; index < length; index++) {
    const code = key.charCodeAt(index)
    if (code < 0x30 || code > 0x39) return false
  }
  return true
}

/** Sorts member names in place by UTF-16 code units (RFC 8785 section 3.2.3). */
export function sortKeys(keys: string[]): void {
  const length = keys.length
  if (length > 16) {
    // The default comparison of strings is by UTF-16 code units.
    keys.sort()
    return
  }
  for (let index = 1; index < length; index++) {
    const key = keys[index]!
    let slot = index - 1
    while (slot >= 0 && keys[slot]! > key) {
      keys[slot + 1] = keys[slot]!
      slot--
    }
    keys[slot + 1] = key
  }
}

/**
 * The RFC 8785 text of a validated copy whose members were inserted in sorted order.
 * `indexKeys`: some object of the copy has a member name that is an array index.
 */
export function canonicalTextOf(copy: JsonValue, indexKeys: boolean): string {
  if (indexKeys || !stringifyIsPlain()) return canonicalize(copy)
  return JSON.stringify(copy)
}

/** True when no `toJSON` is reachable from an array (nothing polluted the prototypes). */
function stringifyIsPlain(): boolean {
  try {
    return (Array.prototype as { toJSON?: unknown }).toJSON === undefined
  } catch {
    // A getter planted on a prototype that throws.
    return false
  }
}

/** A fresh object with a `null` prototype that stays in the engine's fast property mode. */
export function nullPrototypeObject(): Record<string, JsonValue> {
  // `Object.create(null)` gives a dictionary-mode object in V8, several times slower to
  // fill, freeze and serialize; an empty literal whose prototype is then set is not.
  return Object.setPrototypeOf({}, null) as Record<string, JsonValue>
}
