import { WritError } from '../src/errors.js'

/** Runs `action` and returns the code of the WritError it throws (or a marker string). */
export function codeOf(action: () => unknown): string | undefined {
  try {
    action()
  } catch (error) {
    return WritError.isInstance(error) ? error.code : `not a WritError: ${String(error)}`
  }
  return undefined
}

/** Awaits `action` and returns the code of the WritError it rejects with (or a marker string). */
export async function asyncCodeOf(action: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await action()
  } catch (error) {
    return WritError.isInstance(error) ? error.code : `not a WritError: ${String(error)}`
  }
  return undefined
}

/** Runs `action` and returns the `details` of the WritError it throws. */
export function detailsOf(action: () => unknown): Readonly<Record<string, unknown>> | undefined {
  try {
    action()
  } catch (error) {
    if (WritError.isInstance(error)) return error.details
    throw error
  }
  return undefined
}

/** An array with a hole at index 1 (`[1, <empty>, 3]`). */
export function sparse(): unknown[] {
  const array: unknown[] = new Array(3)
  array[0] = 1
  array[2] = 3
  return array
}
