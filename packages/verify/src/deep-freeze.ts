/**
 * Freezes a value and every object in it (a parsed JSON value, claims, a policy
 * document); returns it. Already frozen objects are frozen throughout already.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const item of Object.values(value)) deepFreeze(item)
  }
  return value
}
