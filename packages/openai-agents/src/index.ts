// Gated function tools (`new Agent({ tools })`, `run`, `Runner`)

export { type ActionNameMapping, resolveActionName } from '@writ/core'
export {
  type AnyFunctionTool,
  type GateToolOptions,
  gateTool,
  gateTools,
  type HeldToolCall,
} from './gate-tool.js'
// Options every entry point shares
export type { ToolCallOptions } from './options.js'
// Refusals as the model reads them
export { refusalText } from './refusal-text.js'
