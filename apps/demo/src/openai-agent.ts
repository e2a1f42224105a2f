/**
 * An agent on the real `openai` client: a Chat Completions tool loop whose every
 * tool call is decided by Writ through `@writ/openai` before it runs.
 */
import type { JsonObject } from '@writ/core'
import { handleChatToolCalls, type ToolHandlers } from '@writ/openai'
import type OpenAI from 'openai'
import type {
  ChatCompletionMessageParam,
  ChatCompletionTool,
} from 'openai/resources/chat/completions'
import { actionOfTool, sendAction, TOOL_SPECS, type Toolkit } from './tools.js'

/** How the agent reaches a model. */
export interface ModelConnection {
  /** The `openai` client: the scripted local model, or the real API. */
  readonly client: OpenAI
  readonly model: string
  /** True when the model is the demo's scripted one. */
  readonly scripted: boolean
}

/** One run of the agent. */
export interface AgentRun {
  /** The principal the receipts name (`sub`). */
  readonly agent: string
  readonly prompt: string
  /** Facts the application adds for the policy (`context`). */
  readonly context?: JsonObject
}

const SYSTEM_PROMPT =
  'You are an operations agent. Use the tools to do what the user asks, exactly once, ' +
  'then report briefly what happened. Amounts are in EUR.'

const MAX_TURNS = 4

/** The tool definitions the model sees. */
export function openAiTools(): ChatCompletionTool[] {
  return TOOL_SPECS.map((spec) => ({
    type: 'function',
    function: {
      name: spec.name,
      description: spec.description,
      parameters: { ...spec.parameters },
    },
  }))
}

/**
 * Runs the agent on a prompt and returns its final message. Every tool call goes
 * through `handleChatToolCalls` with the relay's tool gate; a permitted call reaches
 * its service through the gated fetch; a refused one is answered with the signed
 * refusal, which the model reads.
 */
export async function runOpenAiAgent(
  connection: ModelConnection,
  toolkit: Toolkit,
  run: AgentRun,
): Promise<string> {
  const handlers: ToolHandlers = Object.fromEntries(
    TOOL_SPECS.map((spec) => [
      spec.name,
      (args: Readonly<Record<string, unknown>>) => sendAction(toolkit, spec.action, args),
    ]),
  )
  const messages: ChatCompletionMessageParam[] = [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: run.prompt },
  ]
  const tools = openAiTools()
  for (let turn = 0; turn < MAX_TURNS; turn += 1) {
    const completion = await connection.client.chat.completions.create({
      model: connection.model,
      messages,
      tools,
    })
    const message = completion.choices[0]?.message
    if (message === undefined) return ''
    messages.push(message)
    if (message.tool_calls === undefined || message.tool_calls.length === 0) {
      return message.content ?? ''
    }
    const outputs = await handleChatToolCalls(toolkit.relay.toolGate, message, handlers, {
      actionName: actionOfTool,
      agent: run.agent,
      ...(run.context === undefined ? {} : { context: run.context }),
    })
    messages.push(...outputs)
  }
  return 'Stopped after the most turns an agent run may take.'
}
