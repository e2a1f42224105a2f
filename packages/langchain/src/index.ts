// Agent middleware (LangChain 1.x `createAgent`)
export { type WritMiddlewareOptions, writMiddleware } from './middleware.js'

// Gated tools (LangGraph `ToolNode`, `bindTools`, direct `invoke`)
export { type GateToolOptions, WritGatedTool, gateTool, gateTools } from './gate-tool.js'

// Shared options and building blocks
export { type ActionNameMapping, type WritToolOptions, resolveActionName } from './options.js'
export { refusalMessage, type ToolCallReference } from './refusal-message.js'
export type { RefusalPayload } from './decide.js'
export { rawArgumentsOf } from './raw-arguments.js'
