import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js'
import { guardOutcome, WritError } from '@writ/core'
import type { Digest, JsonObject } from '@writ/verify'
import { actionNameOf, type McpGateOptions } from './options.js'
import { RECEIPT_META_KEY, refusalResult } from './refusal-result.js'
import { definitionDigest, memoryPins, type ToolPins } from './tool-pins.js'

/** The `refs` name under which a receipt records the digest of the tool definition called. */
export const DEFINITION_REF = 'mcp.tool'

/** What the gate needs of the upstream server: its tools, and a way to call one. */
export interface Upstream {
  listTools(): Promise<readonly Tool[]>
  callTool(name: string, args: Readonly<JsonObject>, meta: JsonObject): Promise<CallToolResult>
}

/** The upstream server's tools behind the gate. */
export interface GatedTools {
  /** The pinned, visible tools. */
  list(): Promise<Tool[]>
  /**
   * Decides `args` for the tool `name` and forwards the call only on PERMIT. `refused`,
   * when given, refuses the call after its receipt is issued (input the gate must record
   * but that must never run).
   */
  call(name: string, args: unknown, refused?: WritError): Promise<GatedCall>
}

/** A gated call's answer: the result to hand back and, when the call was refused, why. */
export interface GatedCall {
  readonly result: CallToolResult
  /** The refusal (an `ACTION_REFUSED` error with its decision, or the error that stopped the call). */
  readonly refusal?: unknown
}

function refused(error: unknown): GatedCall {
  return { result: refusalResult(error), refusal: error }
}

interface Sighting {
  readonly tool: Tool
  readonly action: string
  readonly digest: Digest
}

type Settings = McpGateOptions & { readonly server: string }

/** A tool as seen now, checked against its pin (pinned now when first seen). */
function sight(pins: ToolPins, options: Settings, tool: Tool): Sighting {
  const action = actionNameOf(options.actionName, options.server, tool.name)
  const digest = definitionDigest(tool)
  const pinned = pins.get(action)
  if (pinned === undefined) pins.pin(action, digest, tool)
  else if (pinned !== digest)
    throw new WritError(
      'TOOL_DEFINITION_CHANGED',
      `The definition of ${action} changed since it was pinned; it stays refused until it is re-pinned.`,
      { details: { action, pinned, seen: digest } },
    )
  return { tool, action, digest }
}

/** The gated view of `upstream`, for the server named `server`. */
export function gatedTools(upstream: Upstream, options: Settings): GatedTools {
  const pins = options.pins ?? memoryPins()
  const visible = options.visible ?? (() => true)
  return {
    async list() {
      const shown: Tool[] = []
      for (const tool of await upstream.listTools()) {
        try {
          if (visible(sight(pins, options, tool).action)) shown.push(tool)
        } catch {
          // A changed, unpinnable or unreadable definition is not shown; a call to it is refused.
        }
      }
      return shown
    },
    async call(name, args, unreadable) {
      let seen: Sighting
      try {
        const tool = (await upstream.listTools()).find((candidate) => candidate.name === name)
        if (tool === undefined)
          throw new WritError('TOOL_UNKNOWN', `The server has no tool ${JSON.stringify(name)}.`)
        seen = sight(pins, options, tool)
      } catch (error) {
        return refused(error)
      }
      return forward(upstream, options, seen, args, unreadable)
    },
  }
}

/** Decides the call and forwards it only on a PERMIT that binds this definition. */
async function forward(
  upstream: Upstream,
  options: Settings,
  seen: Sighting,
  args: unknown,
  unreadable: WritError | undefined,
): Promise<GatedCall> {
  let receipt = ''
  const outcome = await guardOutcome(
    options.gate,
    () => ({
      action: seen.action,
      args,
      refs: { [DEFINITION_REF]: seen.digest },
      ...(options.agent === undefined ? {} : { agent: options.agent }),
      ...(options.context === undefined ? {} : { context: options.context }),
      ...(options.audience === undefined ? {} : { audience: options.audience }),
    }),
    (permitted, decision) => {
      receipt = decision.receipt
      // The receipt travels upstream too, for a server that checks it before it acts.
      return upstream.callTool(seen.tool.name, permitted, { [RECEIPT_META_KEY]: receipt })
    },
    (_permitted, decision) => {
      if (unreadable !== undefined) throw unreadable
      // The PERMIT must bind the definition about to be called (a remote gate could drop refs).
      if (decision.claims.refs?.[DEFINITION_REF] !== seen.digest)
        throw new WritError(
          'TOOL_DEFINITION_CHANGED',
          'The PERMIT does not bind this tool definition.',
        )
    },
  )
  if (!outcome.executed) return refused(outcome.error)
  const result = outcome.value
  return { result: { ...result, _meta: { ...result._meta, [RECEIPT_META_KEY]: receipt } } }
}
