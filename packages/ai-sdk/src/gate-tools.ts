import {
  type ActionRequest,
  assertArgsUnchanged,
  type Decision,
  type Gate,
  guardOutcome,
  maxToolCallsOf,
  type RefusalPayload,
  refusalPayload,
  resolveActionName,
  tooManyToolCallsError,
  WritError,
} from '@writ/core'
import { asSchema, type Tool, type ToolExecutionOptions, type ToolSet } from 'ai'
import { actionRequestOf, type ToolCallOptions } from './options.js'
import { isRefusalOutput, refusalOutput } from './refusal-output.js'
import { attachToolInputLog, ToolInputLog } from './tool-inputs.js'

/** A call the gate held for people to approve (spec section 11). */
export interface HeldToolCall {
  /** The tool's name in the tool set. */
  readonly toolName: string
  /** The AI SDK's id of the held call, the one its `tool-approval-request` names. */
  readonly toolCallId: string
  /** The hold's id: the SILENCE receipt's `jti`, which approvers sign over. */
  readonly holdId: string
  /** The hold's signed receipt. */
  readonly receipt: string
}

/** Options of {@link gateTools}. */
export interface GateToolsOptions extends ToolCallOptions {
  /**
   * What `execute` does on a refusal: `'answer'` (default) resolves with the refusal
   * (see {@link refusalOutput}), which the AI SDK hands the model as the tool's result;
   * `'throw'` rejects with the `WritError` (code `ACTION_REFUSED`, or the gate's own),
   * which the AI SDK reports as a `tool-error` part.
   */
  readonly onRefusal?: 'answer' | 'throw'
  /** Called when the gate holds a call for approval, before the AI SDK asks for it. */
  readonly onHold?: (held: HeldToolCall) => void
}

interface Shared {
  readonly gate: Gate
  readonly options: GateToolsOptions
  readonly log: ToolInputLog
  readonly maxToolCalls: number
}
type Context = { toolCallId: string; messages: unknown[] }
type Part = { type?: unknown; toolCallId?: unknown; content?: unknown } | null | undefined

/**
 * Gates every tool of an AI SDK tool set. Each tool keeps its description and input
 * schema; its `execute` runs only on PERMIT, with the deep-frozen arguments the receipt
 * binds (the tool's input schema must accept them unchanged, or nothing runs:
 * `ARGS_MISMATCH`). The decision is made in the tool's `needsApproval`, before the AI SDK
 * executes anything: a call the gate holds for people (SILENCE, `APPROVAL_REQUIRED`)
 * becomes the AI SDK's own tool approval request, and after approval the call is decided
 * again, so it runs only once the gate has the approvals. DENY, SILENCE, invalid input
 * and a gate that fails or times out never run the tool: the model reads the refusal.
 *
 * The result has no prototype, so a tool name such as `constructor` or `toString` finds
 * no tool. Use {@link writMiddleware} on the model as well, so the raw JSON text of each
 * call is decided (duplicate keys) and `maxToolCalls` is counted.
 *
 * @param gate the gate that decides every call
 * @param tools the tool set, as given to `generateText` or `streamText`
 * @param options action names, agent, context, audience, refusal style, hold callback
 * @returns a tool set of the same names
 *
 * @example
 * ```ts
 * const tools = gateTools(gate, { 'payments.transfer': transfer })
 * const result = await generateText({ model, tools, stopWhen: stepCountIs(5), prompt })
 * ```
 */
export function gateTools<TOOLS extends ToolSet>(
  gate: Gate,
  tools: TOOLS,
  options: GateToolsOptions = {},
): TOOLS {
  const log = new ToolInputLog()
  const shared: Shared = { gate, options, log, maxToolCalls: maxToolCallsOf(options) }
  const gated = Object.create(null) as Record<string, Tool>
  for (const name of Object.keys(tools)) gated[name] = gatedTool(shared, name, tools[name] as Tool)
  attachToolInputLog(gated, log)
  return gated as TOOLS
}

function gatedTool(shared: Shared, name: string, tool: Tool): Tool {
  const { gate, options, log } = shared
  const execute = tool.execute
  if (typeof execute !== 'function' || tool.type === 'provider') {
    throw new TypeError(`Tool ${JSON.stringify(name)} has no execute function Writ can gate.`)
  }
  // Decisions made in `needsApproval`, used once by `execute` for the same call and input.
  const early = new Map<string, { input: unknown; decided: Promise<Decision> }>()
  const requestOf = async (input: unknown, toolCallId: string) => {
    const raw = await rawTextOf(tool, log.get(toolCallId, name)?.text, input)
    return (): ActionRequest =>
      actionRequestOf(
        options,
        resolveActionName(options.actionName, name),
        raw ?? input,
        toolCallId,
      )
  }
  const tooMany = (toolCallId: string) => tooManyIn(shared, name, toolCallId)
  const needsApproval = async (input: unknown, context: Context): Promise<boolean> => {
    const own = tool.needsApproval
    if (typeof own === 'function' ? await own(input as never, context as never) : own === true)
      return true
    // Resuming after an approval: the call is decided again when it executes.
    if (approvalRequested(context.messages, context.toolCallId)) return true
    if (tooMany(context.toolCallId) !== null) return false
    const request = await requestOf(input, context.toolCallId)
    const decided = (async () => gate.authorize(request()))()
    const decision = await decided.catch(() => undefined)
    if (decision !== undefined && isHold(decision)) {
      // A later answer about an open hold names it in `hold.id`; the opening receipt's jti is the id.
      const holdId =
        decision.decision === 'PERMIT'
          ? decision.claims.jti
          : (decision.hold?.id ?? decision.claims.jti)
      const held = { toolName: name, toolCallId: context.toolCallId, holdId }
      notify(() => options.onHold?.({ ...held, receipt: decision.receipt }))
      return true
    }
    early.set(context.toolCallId, { input, decided })
    if (early.size > 1024) early.delete(early.keys().next().value as string)
    return false
  }
  const gatedExecute = async (input: unknown, context: ToolExecutionOptions) => {
    const excess = tooMany(context.toolCallId)
    if (excess !== null) return refuse(options, refusalPayload(excess), excess)
    const made = early.get(context.toolCallId)
    early.delete(context.toolCallId)
    const authority =
      made !== undefined && sameValue(made.input, input) ? { authorize: () => made.decided } : gate
    const outcome = await guardOutcome(
      authority,
      await requestOf(input, context.toolCallId),
      async (args) => execute(args as never, context),
      (args) => checkSchema(tool, name, args),
    )
    return outcome.executed ? outcome.value : refuse(options, outcome.refusal, outcome.error)
  }
  return { ...tool, needsApproval, execute: gatedExecute, ...modelOutputOf(tool) } as Tool
}

/** The tool's own `toModelOutput`, if any, leaving refusals as JSON. */
function modelOutputOf(tool: Tool): Pick<Tool, 'toModelOutput'> {
  const own = tool.toModelOutput
  if (own === undefined) return {}
  return {
    toModelOutput: (call) =>
      isRefusalOutput(call.output) ? { type: 'json', value: call.output as never } : own(call),
  }
}

/** The `TOO_MANY_TOOL_CALLS` error when the response that carried this call had too many. */
function tooManyIn(shared: Shared, name: string, toolCallId: string) {
  const count = shared.log.get(toolCallId, name)?.callsInResponse ?? 1
  const max = shared.maxToolCalls
  return count > max ? tooManyToolCallsError(count, max) : null
}

/** True when the history already holds the AI SDK's approval request for this call. */
function approvalRequested(messages: readonly unknown[], toolCallId: string): boolean {
  return (messages as Part[]).some(
    (message) =>
      Array.isArray(message?.content) &&
      (message.content as Part[]).some(
        (part) => part?.type === 'tool-approval-request' && part.toolCallId === toolCallId,
      ),
  )
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

function refuse(options: GateToolsOptions, refusal: RefusalPayload, error: unknown) {
  if (options.onRefusal === 'throw') throw error
  return refusalOutput(refusal)
}

/** The tool's input schema applied to `value`, as the AI SDK applies it. */
async function parseWithSchema(tool: Tool, value: unknown) {
  const schema = asSchema(tool.inputSchema)
  return schema.validate === undefined ? { success: true as const, value } : schema.validate(value)
}

/** The tool's input schema must accept the permitted arguments unchanged. */
async function checkSchema(tool: Tool, name: string, args: unknown): Promise<void> {
  const result = await parseWithSchema(tool, args)
  if (!result.success) {
    const message = `The tool ${JSON.stringify(name)} rejected its permitted arguments.`
    throw new WritError('ARGS_MISMATCH', message, { cause: result.error, details: { tool: name } })
  }
  assertArgsUnchanged(result.value, args, name)
}

/**
 * The model's raw JSON text for this call, when it is what the AI SDK made `input` from:
 * the tool's input schema turns its parse into exactly `input`. What gets decided is then
 * the text, duplicate keys and keys the schema strips included.
 */
async function rawTextOf(tool: Tool, text: string | undefined, input: unknown) {
  if (text === undefined) return undefined
  try {
    const result = await parseWithSchema(tool, text.trim() === '' ? {} : JSON.parse(text))
    return result.success && sameValue(result.value, input) ? text : undefined
  } catch {
    return undefined
  }
}

/** True when the two inputs are the same JSON value. */
function sameValue(left: unknown, right: unknown): boolean {
  try {
    assertArgsUnchanged(left, right, '')
    return true
  } catch {
    return false
  }
}
