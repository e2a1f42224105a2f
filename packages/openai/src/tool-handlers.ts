import { type PermitDecision, WritError } from '@writ/core'
import type { PermittedArgs } from './run-tool-call.js'

/**
 * A tool body for the hand-written loop helpers. It runs only on PERMIT, with the
 * deep-frozen arguments the receipt binds, and receives the decision (receipt included)
 * so it can forward the receipt to a receiving service.
 */
export type ToolHandler = {
  // Method syntax makes the parameters bivariant, so a handler typed for its own
  // argument shape, `(args: { to: string; amount: number }) => …`, is accepted too.
  handle(args: PermittedArgs, decision: PermitDecision): unknown
}['handle']

/** Tool bodies by the exact tool name the model sees. */
export type ToolHandlers = Readonly<Record<string, ToolHandler>>

/** A lookup table with no prototype: `constructor` or `__proto__` never find a handler. */
export type HandlerTable = Readonly<Record<string, ToolHandler>>

/** Copies the caller's handlers (own enumerable names only) into a prototype-free table. */
export function handlerTable(handlers: ToolHandlers): HandlerTable {
  const table: Record<string, ToolHandler> = Object.create(null)
  for (const name of Object.keys(handlers)) {
    const handler = handlers[name]
    if (typeof handler !== 'function')
      throw new TypeError(`The handler for tool ${JSON.stringify(name)} is not a function`)
    table[name] = handler
  }
  return table
}

/**
 * The handler for exactly `toolName`, by own-property lookup. No normalisation: a
 * trailing space, another case or a lookalike letter is a different, unknown tool.
 */
export function findHandler(table: HandlerTable, toolName: string): ToolHandler | undefined {
  return Object.hasOwn(table, toolName) ? table[toolName] : undefined
}

/** The error behind the refusal of a tool name that has no handler; the gate is not asked. */
export function unknownToolError(toolName: string): WritError {
  return new WritError(
    'TOOL_UNKNOWN',
    `No tool named ${JSON.stringify(toolName)} is available; nothing was run.`,
    {
      details: { tool: toolName },
    },
  )
}
