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
   * The upstream server's name in action names (`mcp.<server>.<tool>`),
   * `[A-Za-z0-9_-]`, 1 to 64 characters. Chosen by the operator, never taken from the
   * server: a server that named itself `bank` would otherwise have its tools decided by
   * the bank's rules.
   */
  readonly server: string
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

/** `name`, checked as a server name for action names (`[A-Za-z0-9_-]`, 1 to 64 characters). */
export function serverNameOf(name: unknown): string {
  if (typeof name !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(name))
    throw new TypeError('server must be 1 to 64 characters of [A-Za-z0-9_-]')
  return name
}
