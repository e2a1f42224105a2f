// Tool runner: client.chat.completions.runTools

export type { ActionNameMapping } from '@writ/core'
// Options every entry point shares
export { DEFAULT_MAX_TOOL_CALLS } from '@writ/core'
// Results and handlers
export {
  defineTool,
  type SchemaOutput,
  type StandardSchemaResult,
  type StandardSchemaV1,
  type ToolDefinition,
} from './define-tool.js'
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
export type { HeldToolCall, ToolCallOptions } from './options.js'
export { refusalText } from './refusal-text.js'
export type { PermittedArgs } from './run-tool-call.js'
export type { ToolHandler, ToolHandlers } from './tool-handlers.js'
