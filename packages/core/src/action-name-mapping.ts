/** Tool name → Writ action name, shared by every tool adapter. */

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
