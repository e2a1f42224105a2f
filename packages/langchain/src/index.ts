// Agent middleware (LangChain 1.x `createAgent`)

export type { RefusalPayload } from './decide.js'

// Gated tools (LangGraph `ToolNode`, `bindTools`, direct `invoke`)
export { type GateToolOptions, gateTool, gateTools, WritGatedTool } from './gate-tool.js'
export { type WritMiddlewareOptions, writMiddleware } from './middleware.js'
// Shared options and building blocks
export { type ActionNameMapping, resolveActionName, type WritToolOptions } from './options.js'
export { rawArgumentsOf } from './raw-arguments.js'
export { refusalMessage, type ToolCallReference } from './refusal-message.js'
