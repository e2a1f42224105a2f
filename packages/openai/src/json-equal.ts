/**
 * True when `left` and `right` are the same JSON value: same primitives, arrays of
 * equal items in order, plain objects with the same own keys (in any order) and equal
 * values. Anything that is not plain JSON (a `Date`, a `Map`, a class instance, a
 * function, `undefined`) is never equal to a JSON value, so a parser that transforms
 * its input cannot pass for one that only validates it.
 */
export function jsonEqual(left: unknown, right: unknown): boolean {
  if (left === null || right === null) return left === right
  if (typeof left !== typeof right) return false
  switch (typeof left) {
    case 'string':
    case 'boolean':
      return left === right
    case 'number':
      // -0 and 0 canonicalize alike (RFC 8785), and JSON has no NaN.
      return left === right && Number.isFinite(left)
    case 'object':
      return objectsEqual(left as object, right as object)
    default:
      return false
  }
}

function objectsEqual(left: object, right: object): boolean {
  if (Array.isArray(left) || Array.isArray(right)) {
    if (!Array.isArray(left) || !Array.isArray(right) || left.length !== right.length) return false
    return left.every((item, index) => jsonEqual(item, right[index]))
  }
  if (!isPlainObject(left) || !isPlainObject(right)) return false
  const leftKeys = Object.keys(left)
  const rightKeys = Object.keys(right)
  if (leftKeys.length !== rightKeys.length) return false
  if (
    Object.getOwnPropertySymbols(left).length > 0 ||
    Object.getOwnPropertySymbols(right).length > 0
  )
    return false
  return leftKeys.every(
    (key) =>
      Object.hasOwn(right, key) &&
      jsonEqual((left as Record<string, unknown>)[key], (right as Record<string, unknown>)[key]),
  )
}

function isPlainObject(value: object): boolean {
  const prototype = Object.getPrototypeOf(value)
  return prototype === Object.prototype || prototype === null
}
