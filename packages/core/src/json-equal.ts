import { WritError } from '@writ/verify'

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

/**
 * Throws `ARGS_MISMATCH` unless `parsed` (what a tool's own parser or schema made of
 * the permitted arguments) is exactly the JSON value the PERMIT binds. Adapters call it
 * between the decision and the tool body, so a schema that adds defaults, strips keys
 * or transforms values cannot make a tool run with arguments nobody signed.
 *
 * @param parsed the tool's parse of the permitted arguments
 * @param permitted `decision.args`
 * @param tool the tool's name, for the error's details
 */
export function assertArgsUnchanged(parsed: unknown, permitted: unknown, tool: string): void {
  if (!jsonEqual(parsed, permitted)) {
    throw new WritError(
      'ARGS_MISMATCH',
      `The schema of tool ${JSON.stringify(tool)} changes its arguments; only the arguments the receipt binds may run.`,
      { details: { tool } },
    )
  }
}
