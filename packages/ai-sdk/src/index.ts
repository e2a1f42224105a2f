// Gated tool sets (`generateText`, `streamText`, agents)

export { type ActionNameMapping, DEFAULT_MAX_TOOL_CALLS, resolveActionName } from '@writ/core'
export { type GateToolsOptions, gateTools, type HeldToolCall } from './gate-tools.js'
// Options every entry point shares
export type { ToolCallOptions } from './options.js'
// Refusals as the model reads them
export { isRefusalOutput, refusalOutput } from './refusal-output.js'
// The model middleware that shows the gate each call's raw input
export { writMiddleware } from './tool-inputs.js'
