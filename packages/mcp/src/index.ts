/**
 * `@writ/mcp`: Writ in front of any Model Context Protocol server. Every `tools/call`
 * is decided, signed and recorded before it is forwarded; tool definitions are pinned.
 *
 * @packageDocumentation
 */

export { connectUpstream, type UpstreamLocation } from './connect-upstream.js'
// The library form: a gated SDK Client
export {
  type GatedCallParams,
  type GatedMcpClient,
  type GateMcpClientOptions,
  gateMcpClient,
} from './gate-client.js'
export { DEFINITION_REF } from './gated-tools.js'
export type { McpListener } from './http-listener.js'
// Options every entry point shares, and which tools the model sees
export type { McpGateOptions } from './options.js'
export { permittableBy } from './permittable.js'
// The gateway: an MCP server in front of another one
export { createMcpProxy, type McpProxy, type McpProxyOptions } from './proxy.js'
// Results
export { RECEIPT_META_KEY, refusalResult } from './refusal-result.js'
// Tool definition pinning
export {
  definitionDigest,
  type FilePinsOptions,
  filePins,
  memoryPins,
  type ToolDefinition,
  type ToolPins,
} from './tool-pins.js'
