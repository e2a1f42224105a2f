import type { FunctionTool, RunContext, Tool } from '@openai/agents'
import {
  assertArgsUnchanged,
  type Decision,
  type Gate,
  guardOutcome,
  resolveActionName,
  WritError,
} from '@writ/core'
import { actionRequestOf, type ToolCallOptions } from './options.js'
import { refusalText } from './refusal-text.js'

/** A call the gate held for people to approve (spec section 11). */
export interface HeldToolCall {
  /** The function tool's name. */
  readonly toolName: string
  /** The SDK's id of the held call, the one its tool approval item names. */
  readonly callId: string
  /** The hold's id: the SILENCE receipt's `jti`, which approvers sign over. */
  readonly holdId: string
  /** The hold's signed receipt. */
  readonly receipt: string
}

/** Options of {@link gateTool} and {@link gateTools}. */
export interface GateToolOptions extends ToolCallOptions {
  /**
   * What the tool does on a refusal: `'answer'` (default) returns the refusal JSON
   * ({@link refusalText}) as the tool's output, which the model reads; `'throw'` rejects
   * with the `WritError` (code `ACTION_REFUSED`, or the gate's own), and the SDK stops
   * the run with a `ToolCallError` whose `error` is it.
   */
  readonly onRefusal?: 'answer' | 'throw'
  /** Called when the gate holds a call for approval, before the run is interrupted for it. */
  readonly onHold?: (held: HeldToolCall) => void
}

/** A function tool of the Agents SDK, whatever its context, parameters and result. */
// biome-ignore lint/suspicious/noExplicitAny: any function tool, whatever its context and schema.
export type AnyFunctionTool = FunctionTool<any, any, any>

/**
 * Gates one function tool of the OpenAI Agents SDK (what `tool()` returns, or an
 * `agent.asTool()`). The result keeps the tool's name, description and JSON schema.
 *
 * - The call is decided in the tool's `needsApproval`, before the SDK runs it. A call
 *   the gate holds for people (SILENCE, `APPROVAL_REQUIRED`) interrupts the run with the
 *   SDK's own tool approval item; the `RunState` can be serialized and resumed. After
 *   `state.approve(item)` the call is decided again when it runs, so it runs only once
 *   the gate has the approvals.
 * - The tool's own code runs only on PERMIT, with exactly the arguments the receipt
 *   binds: the tool's parser receives their JSON text. The decision is made on the
 *   model's raw JSON text whenever it could differ from the parsed arguments (duplicate
 *   keys are refused, `INPUT_INVALID`).
 * - DENY, SILENCE, invalid input, a gate that fails or times out: the tool never runs
 *   and the model reads the refusal ({@link refusalText}).
 *
 * @param gate the gate that decides every call
 * @param tool the function tool to run on PERMIT
 * @param options action name mapping, agent, context, audience, refusal style, hold callback
 * @returns a function tool to give the agent in place of `tool`
 *
 * @example
 * ```ts
 * const agent = new Agent({ name: 'teller', tools: [gateTool(gate, transfer)] })
 * ```
 */
export function gateTool<T extends AnyFunctionTool>(
  gate: Gate,
  tool: T,
  options: GateToolOptions = {},
): T {
  if (tool?.type !== 'function' || typeof tool.invoke !== 'function') {
    throw new TypeError('gateTool gates function tools only; hosted tools do not run here.')
  }
  const early = new Map<string, { input: unknown; decided: Promise<Decision> }>()
  const requestOf = (args: unknown, callId: string | undefined) => () =>
    actionRequestOf(options, resolveActionName(options.actionName, tool.name), args, callId)
  const needsApproval = async (context: RunContext, input: unknown, callId?: string) => {
    if (await tool.needsApproval(context, input, callId)) return true
    if (callId === undefined) return false
    const decided = (async () => gate.authorize(requestOf(input, callId)()))()
    const decision = await decided.catch(() => undefined)
    if (decision !== undefined && isHold(decision)) {
      // A later answer about an open hold names it in `hold.id`; the opening receipt's jti is the id.
      const holdId =
        decision.decision === 'PERMIT'
          ? decision.claims.jti
          : (decision.hold?.id ?? decision.claims.jti)
      const held = { toolName: tool.name, callId, holdId }
      notify(() => options.onHold?.({ ...held, receipt: decision.receipt }))
      return true
    }
    early.set(callId, { input, decided })
    if (early.size > 1024) early.delete(early.keys().next().value as string)
    return false
  }
  const invoke: AnyFunctionTool['invoke'] = async (context, input, details) => {
    const callId = details?.toolCall?.callId
    const made = callId === undefined ? undefined : early.get(callId)
    if (callId !== undefined) early.delete(callId)
    // The decision made before the run is used only when it was made on these arguments.
    const authority =
      made !== undefined && decidedOn(made.input, input) ? { authorize: () => made.decided } : gate
    const outcome = await guardOutcome(
      authority,
      requestOf(input, callId),
      (args) => tool.invoke(context, JSON.stringify(args), details),
      (args) => checkClosedSchema(tool, args),
    )
    if (outcome.executed) return outcome.value
    if (options.onRefusal === 'throw') throw outcome.error
    return refusalText(outcome.refusal)
  }
  return { ...tool, needsApproval, invoke }
}

/**
 * Gates every function tool of a list with the same gate and options.
 *
 * @param gate the gate that decides every call
 * @param tools the function tools to gate
 * @param options shared options; `actionName` maps each tool's name
 */
export function gateTools<T extends AnyFunctionTool>(
  gate: Gate,
  tools: readonly T[],
  options: GateToolOptions = {},
): T[] {
  return tools.map((tool) => gateTool(gate, tool, options))
}

/** A hold (spec section 11): SILENCE, reason `APPROVAL_REQUIRED`, with a `hold` claim. */
function isHold(decision: Decision): boolean {
  const hold = (decision.claims as { hold?: unknown }).hold
  const { decision: kind, reason } = decision
  return (
    kind === 'SILENCE' &&
    reason === 'APPROVAL_REQUIRED' &&
    typeof hold === 'object' &&
    hold !== null
  )
}

function notify(callback: () => void): void {
  try {
    callback()
  } catch {
    // A failing callback must not turn a hold into something else.
  }
}

/**
 * True when the raw text is exactly what was decided: it parses to the same value and
 * carries no member twice (the SDK's `JSON.parse` keeps only the last of duplicates).
 */
function decidedOn(decided: unknown, text: string): boolean {
  try {
    const parsed: unknown = JSON.parse(text)
    assertArgsUnchanged(parsed, decided, '')
    return membersInText(text) === membersOf(parsed)
  } catch {
    return false
  }
}

/** Object members in JSON text: the colons outside strings. */
function membersInText(text: string): number {
  let count = 0
  let inString = false
  for (let index = 0; index < text.length; index += 1) {
    const char = text[index]
    if (inString) {
      if (char === '\\') index += 1
      else if (char === '"') inString = false
    } else if (char === '"') inString = true
    else if (char === ':') count += 1
  }
  return count
}

function membersOf(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0
  const items = Array.isArray(value) ? value : Object.values(value)
  const own = Array.isArray(value) ? 0 : items.length
  return items.reduce<number>((sum, item) => sum + membersOf(item), own)
}

/**
 * A closed schema (strict mode, `additionalProperties: false`) lets the tool's parser drop
 * members it does not name; those would be signed and not run, so they are refused.
 */
function checkClosedSchema(tool: Tool & { parameters?: unknown }, args: object): void {
  const path = memberNotNamed(tool.parameters, args, '')
  if (path === undefined) return
  const message = `The tool ${JSON.stringify(tool.name)} has no parameter ${JSON.stringify(path)}.`
  throw new WritError('ARGS_MISMATCH', message, { details: { tool: tool.name, path } })
}

type ObjectSchema = {
  additionalProperties?: unknown
  properties?: Record<string, unknown>
  items?: unknown
}

/** The path of the first member of `value` that a closed object schema in `schema` does not name. */
function memberNotNamed(schema: unknown, value: unknown, path: string): string | undefined {
  if (typeof schema !== 'object' || schema === null || typeof value !== 'object' || value === null)
    return undefined
  const { additionalProperties, properties, items } = schema as ObjectSchema
  if (Array.isArray(value)) {
    for (const [index, item] of value.entries()) {
      const found = memberNotNamed(items, item, `${path}[${index}]`)
      if (found !== undefined) return found
    }
    return undefined
  }
  for (const [key, member] of Object.entries(value)) {
    const named = properties !== undefined && Object.hasOwn(properties, key)
    if (!named && additionalProperties === false) return `${path}/${key}`
    const found = named ? memberNotNamed(properties[key], member, `${path}/${key}`) : undefined
    if (found !== undefined) return found
  }
  return undefined
}
