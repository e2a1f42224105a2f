import type { ActionNameMapping, ActionRequest, Gate } from '@writ/core'
import type { ToolPins } from './tool-pins.js'

/**
 * What every entry point of `@writ/mcp` shares ({@link gateMcpClient},
 * {@link createMcpProxy}): how a `tools/call` becomes a Writ request, and what the
 * model may see of the upstream server's tools.
 */
export interface McpGateOptions {
  /** The gate that decides every call. */
  readonly gate: Gate
  /**
   * The upstream server's name in action names (`mcp.<server>.<tool>`). Defaults to the
   * name the server gives in its `initialize` answer, reduced to `[A-Za-z0-9_-]`.
   */
  readonly server?: string
  /**
   * Maps a tool name to the action name the gate decides on: a function, or a table of
   * tool name to action name (own properties only). A tool the function leaves
   * `undefined`, or the table lacks, is `mcp.<server>.<tool>`.
   */
  readonly actionName?: ActionNameMapping
  /** The agent (principal) named in every receipt; embedded gates fall back to their default agent. */
  readonly agent?: string
  /** Extra facts for policy conditions (tenant, environment). JSON only. */
  readonly context?: NonNullable<ActionRequest['context']>
  /** The executor or service the permits are meant for (`aud`). */
  readonly audience?: string
  /**
   * Where tool definitions are pinned. Default: in memory, each tool pinned the first
   * time this process sees it ({@link memoryPins}). Use {@link filePins} for pins an
   * operator reviews.
   */
  readonly pins?: ToolPins
  /**
   * Which tools `tools/list` shows, by action name. Default: every pinned tool. Pass
   * {@link permittableBy} of the policy to hide the tools no rule could ever permit.
   */
  readonly visible?: (action: string) => boolean
}

/** The action name of `tool` on `server` under `mapping`: `mcp.<server>.<tool>` unless mapped. */
export function actionNameOf(
  mapping: ActionNameMapping | undefined,
  server: string,
  tool: string,
): string {
  const fallback = `mcp.${server}.${tool}`
  if (mapping === undefined) return fallback
  if (typeof mapping === 'function') return mapping(tool) ?? fallback
  const mapped = Object.hasOwn(mapping, tool) ? mapping[tool] : undefined
  return typeof mapped === 'string' ? mapped : fallback
}

/** A server name as action names use it: `[A-Za-z0-9_-]` only, `server` when nothing is left. */
export function serverNameOf(name: string | undefined): string {
  const cleaned = (name ?? '').replace(/[^A-Za-z0-9_-]/g, '')
  return cleaned.length > 0 ? cleaned.slice(0, 64) : 'server'
}
