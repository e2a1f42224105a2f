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

/**
 * How a tool adapter turns a tool name into a Writ action name: a function, or a table
 * of tool name to action name. Names missing from the table (or for which the function
 * returns `undefined`) are used as they are; a tool name that is not a valid action
 * name is then refused by the gate with a DENY receipt, reason `INPUT_INVALID`.
 */
export type ActionNameMapping =
  | Readonly<Record<string, string>>
  | ((toolName: string) => string | undefined)

/**
 * Resolves the Writ action name of a tool. Table lookups use own properties only, so a
 * tool named `constructor` or `__proto__` never picks up an inherited value.
 *
 * @param mapping the adapter's `actionName` option, if any
 * @param toolName the tool name as the model or framework wrote it
 * @returns the action name the gate decides on
 */
export function resolveActionName(
  mapping: ActionNameMapping | undefined,
  toolName: string,
): string {
  if (mapping === undefined) return toolName
  if (typeof mapping === 'function') return mapping(toolName) ?? toolName
  const mapped = Object.hasOwn(mapping, toolName) ? mapping[toolName] : undefined
  return typeof mapped === 'string' ? mapped : toolName
}
