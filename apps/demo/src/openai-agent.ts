/**
 * An agent on the real `openai` client: a Chat Completions tool loop whose every tool
 * call is carried out as one HTTP request that Writ decides before it leaves
 * (`createGatedFetch`, see `sendAction`).
 */
import { randomUUID } from 'node:crypto'
import type { JsonObject } from '@writ/core'
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
  /** The session of the run (its `history`). Default: a fresh one for every run. */
  readonly session?: string
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
 * Runs the agent on a prompt and returns its final message. Tool calls run one at a
 * time, in order: each is the HTTP request that carries out its action, decided by
 * Writ as that request (the model's argument text is its body, so the gate sees the
 * exact bytes, duplicate keys included); a permitted one reaches its service, a refused
 * one is answered with the signed refusal, which the model reads.
 */
export async function runOpenAiAgent(
  connection: ModelConnection,
  toolkit: Toolkit,
  run: AgentRun,
): Promise<string> {
  const messages: ChatCompletionMessageParam[] = [
    { role: 'system', content: SYSTEM_PROMPT },
    { role: 'user', content: run.prompt },
  ]
  const tools = openAiTools()
  // One session per run, chosen here and never by the model: a rule reading `history`
  // sees what this run did before, and nothing of other runs.
  const session = run.session ?? `run-${randomUUID()}`
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
    for (const call of message.tool_calls) {
      const result =
        call.type === 'function'
          ? await sendAction(toolkit, {
              action: actionOfTool(call.function.name),
              argsText: call.function.arguments,
              agent: run.agent,
              session,
              ...(run.context === undefined ? {} : { context: run.context }),
            })
          : { service: null, status: 400, body: { error: 'not a function call' }, refused: true }
      messages.push({ role: 'tool', tool_call_id: call.id, content: JSON.stringify(result) })
    }
  }
  return 'Stopped after the most turns an agent run may take.'
}
