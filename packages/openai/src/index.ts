// Tool runner: client.chat.completions.runTools
export {
  type GateableTool,
  type GatedTool,
  gateRunnableTools,
  type ParseableToolInput,
  type RunnableToolInput,
} from './gate-runnable-tools.js'

// Hand-written tool loops: Chat Completions and Responses
export { handleChatToolCalls } from './handle-chat-tool-calls.js'
export { handleResponseFunctionCalls } from './handle-response-function-calls.js'
// Shared options and results
export type { OpenAIGateOptions } from './options.js'
export type { PermittedArgs } from './run-tool-call.js'
export { DEFAULT_MAX_TOOL_CALLS } from './tool-call-limit.js'
export type { ToolHandler, ToolHandlers } from './tool-handlers.js'
