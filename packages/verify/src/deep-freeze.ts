import type { JsonValue } from './types.js'

/** Freezes a parsed JSON value and everything in it; returns it. @internal */
export function deepFreeze<T extends JsonValue>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) deepFreeze(item)
    Object.freeze(value)
  }
  return value
}
