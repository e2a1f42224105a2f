/**
 * An agent on LangChain 1.x: `createAgent`, whose model is LangChain's own fake
 * tool-calling chat model, scripted per scenario. Every tool call is carried out as
 * one HTTP request that Writ decides before it leaves.
 */
import { AIMessage, HumanMessage, ToolMessage } from '@langchain/core/messages'
import { fakeModel } from '@langchain/core/testing'
import { tool } from '@langchain/core/tools'
import type { JsonObject } from '@writ/core'
import { canonicalize } from '@writ/verify/internal'
import { createAgent } from 'langchain'
import { z } from 'zod'
import type { ScriptedToolCall } from './scripted-model.js'
import { sendAction, type Toolkit } from './tools.js'

/** One run of the LangChain agent. */
export interface LangChainRun {
  readonly agent: string
  readonly prompt: string
  readonly context?: JsonObject
  /** The tool calls the fake model proposes, in one turn. */
  readonly toolCalls: readonly ScriptedToolCall[]
}

/**
 * Runs a LangChain agent whose model proposes `run.toolCalls`, then answers with a
 * summary. Returns the agent's final message.
 */
export async function runLangChainAgent(toolkit: Toolkit, run: LangChainRun): Promise<string> {
  // The tool carries the call out as one HTTP request that Writ decides before it
  // leaves (`sendAction`): the policy sees that request, its body the arguments.
  const ehrWrite = tool(
    async (args: { patient: string; field: string; value: string }) =>
      JSON.stringify(
        await sendAction(toolkit, {
          action: 'ehr.write',
          argsText: canonicalize(args),
          agent: run.agent,
          ...(run.context === undefined ? {} : { context: run.context }),
        }),
      ),
    {
      name: 'ehr_write',
      description: "Write one field of a patient's health record (a new version).",
      schema: z.object({ patient: z.string(), field: z.string(), value: z.string() }),
    },
  )
  const model = fakeModel()
    .respondWithTools(
      run.toolCalls.map((call, index) => ({
        id: `lc_call_${index}`,
        name: call.tool,
        args: { ...call.args },
      })),
    )
    .respond((messages) => {
      const results = messages.filter((message) => ToolMessage.isInstance(message))
      const refused = results.some(
        (message) =>
          typeof message.content === 'string' && message.content.includes('"refused":true'),
      )
      return new AIMessage(
        refused ? 'Writ refused the record write; nothing was changed.' : 'The record is updated.',
      )
    })
  const agent = createAgent({ model, tools: [ehrWrite] })
  const state = await agent.invoke({ messages: [new HumanMessage(run.prompt)] })
  const last = state.messages.at(-1)
  return typeof last?.content === 'string' ? last.content : ''
}
