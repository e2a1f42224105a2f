import { Tool } from '@langchain/core/tools'
import { interopParseAsync, isInteropZodSchema } from '@langchain/core/utils/types'
import {
  type ActionRequest,
  assertArgsUnchanged,
  type Gate,
  type GuardOutcome,
  guardOutcome,
  type PermitDecision,
  WritError,
} from '@writ/core'
import type { HeldInterrupt, ToolApprovalMode } from './options.js'

/**
 * Decides `request` and runs `execute` only on PERMIT, with the frozen arguments the
 * receipt binds, through `guardOutcome` from `@writ/core`: every failure before
 * `execute` starts becomes a refusal, never an execution; an error thrown by `execute`
 * itself is rethrown unchanged, so LangChain's tool error handling still applies to it.
 *
 * @param gate the gate that decides
 * @param request builds the proposed action; if building it throws (a user's
 *   `actionName` function, odd input), that too is a refusal
 * @param execute the tool body, called at most once
 * @param tool the tool about to run: its zod schema must accept the permitted
 *   arguments unchanged (no defaults added, keys stripped or values transformed), or
 *   nothing runs (`ARGS_MISMATCH`). Writ executes what it signed.
 */
export async function decide<T>(
  gate: Gate,
  request: () => ActionRequest,
  execute: (args: PermitDecision['args'], decision: PermitDecision) => Promise<T>,
  tool?: unknown,
  options: {
    readonly approval?: ToolApprovalMode
    readonly toolCall?: HeldInterrupt['toolCall']
  } = {},
): Promise<GuardOutcome<T>> {
  const approval = options.approval
  const outcome = await guardOutcome(
    gate,
    request,
    execute,
    (args) => checkSchema(tool, args),
    approval === undefined || approval.mode === 'interrupt' ? {} : { approval },
  )
  const hold = outcome.executed ? undefined : outcome.refusal.hold
  if (approval?.mode === 'interrupt' && hold !== undefined && !outcome.executed) {
    // Pauses the graph (LangGraph throws here). On resume the node runs again from the
    // start, so this call is decided again; reaching past `interrupt` means it is still held.
    approval.interrupt({
      writ: 'held',
      toolCall: options.toolCall ?? { id: undefined, name: 'tool' },
      hold,
      message: outcome.refusal.message,
    })
  }
  return outcome
}

/**
 * Runs the tool's own zod schema over the permitted arguments and refuses when it
 * rejects or changes them. LangChain's string tools (`Tool`, `DynamicTool`) are the one
 * exception: their fixed schema only unwraps `{ input }` into the string the receipt
 * already binds.
 */
async function checkSchema(tool: unknown, args: PermitDecision['args']): Promise<void> {
  if (typeof tool !== 'object' || tool === null || tool instanceof Tool) return
  const { schema, name } = tool as { schema?: unknown; name?: unknown }
  if (!isInteropZodSchema(schema)) return
  const toolName = typeof name === 'string' ? name : 'tool'
  let parsed: unknown
  try {
    parsed = await interopParseAsync(schema, args)
  } catch (cause) {
    throw new WritError(
      'ARGS_MISMATCH',
      `The tool ${JSON.stringify(toolName)} rejected its permitted arguments.`,
      {
        cause,
        details: { tool: toolName },
      },
    )
  }
  assertArgsUnchanged(parsed, args, toolName)
}
