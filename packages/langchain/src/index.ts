// Gated tools (LangGraph `ToolNode`, `bindTools`, direct `invoke`)

export { type ActionNameMapping, DEFAULT_MAX_TOOL_CALLS, resolveActionName } from '@writ/core'
export { type GateToolOptions, gateTool, gateTools, WritGatedTool } from './gate-tool.js'
// Agent middleware (LangChain 1.x `createAgent`)
export { type WritMiddlewareOptions, writMiddleware } from './middleware.js'
// Options every entry point shares
export type { HeldInterrupt, ToolApprovalMode, ToolCallOptions } from './options.js'
// Building blocks for custom tool loops
export { rawArgumentsOf } from './raw-arguments.js'
export { refusalMessage, type ToolCallReference } from './refusal-message.js'
