import { WritError } from './errors.js'

/** What an action name may look like: ASCII `[A-Za-z0-9_.:-]`, 1 to 128 characters. */
export const ACTION_NAME_PATTERN: RegExp = /^[A-Za-z0-9_.:-]{1,128}$/

/**
 * Checks an action name (spec section 2) and returns it unchanged.
 *
 * @throws WritError `ACTION_NAME_INVALID` when `name` is not a string of 1 to 128 characters
 *   from `[A-Za-z0-9_.:-]`.
 */
export function validateActionName(name: unknown): string {
  if (typeof name !== 'string' || !ACTION_NAME_PATTERN.test(name)) {
    throw new WritError(
      'ACTION_NAME_INVALID',
      'action names are 1 to 128 ASCII characters from [A-Za-z0-9_.:-]',
      { details: { path: '' } },
    )
  }
  return name
}
