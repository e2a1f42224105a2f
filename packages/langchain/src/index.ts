// Gated tools (LangGraph `ToolNode`, `bindTools`, direct `invoke`)
export { type GateToolOptions, gateTool, gateTools, WritGatedTool } from './gate-tool.js'

// Agent middleware (LangChain 1.x `createAgent`)
export { type WritMiddlewareOptions, writMiddleware } from './middleware.js'

// Shared options and building blocks for custom tool loops
export { type ActionNameMapping, resolveActionName, type WritToolOptions } from './options.js'
export { rawArgumentsOf } from './raw-arguments.js'
export { refusalMessage, type ToolCallReference } from './refusal-message.js'
export { DEFAULT_MAX_TOOL_CALLS } from './tool-call-limit.js'
