/**
 * Test support: a fake model turn that proposes tool calls the way ChatOpenAI reports
 * them (parsed `tool_calls`, and the raw argument text in `additional_kwargs`), and
 * helpers to read an agent's final messages. Gates come from the payments fixture of
 * `@writ/core/testing`.
 */
import { AIMessage, type BaseMessage, ToolMessage } from '@langchain/core/messages'
import { fakeModel } from '@langchain/core/testing'
import { tool } from '@langchain/core/tools'
import { z } from 'zod'

const transferSchema = z.object({ to: z.string(), amount: z.number() })

/**
 * A transfer tool named `name` (`payments.transfer` unless given) over `schema` (a payee
 * `to` and an `amount` unless given) that records a copy of the arguments of each run in
 * `calls` and answers `sent <amount> to <to>`.
 */
export function recordingTransfer(
  name = 'payments.transfer',
  schema: z.ZodObject<z.ZodRawShape> = transferSchema,
) {
  const calls: unknown[] = []
  const transfer = tool(
    async (args) => {
      calls.push(structuredClone(args))
      return `sent ${args['amount']} to ${args['to']}`
    },
    { name, description: 'Transfer money to a payee.', schema },
  )
  return { calls, transfer, schema }
}

/** One proposed call: the tool name and the raw JSON text of its arguments. */
export interface ProposedCall {
  readonly id: string
  readonly name: string
  readonly argsText: string
}

/** The `AIMessage` a provider speaking the OpenAI wire format turns a model reply into. */
export function proposal(calls: readonly ProposedCall[]): AIMessage {
  return new AIMessage({
    content: '',
    tool_calls: calls.map((call) => ({
      id: call.id,
      name: call.name,
      args: JSON.parse(call.argsText) as Record<string, unknown>,
      type: 'tool_call' as const,
    })),
    additional_kwargs: {
      tool_calls: calls.map((call) => ({
        id: call.id,
        type: 'function' as const,
        function: { name: call.name, arguments: call.argsText },
      })),
    },
  })
}

/** A fake chat model that proposes `calls`, then answers `done`. */
export function modelProposing(calls: readonly ProposedCall[]) {
  return fakeModel().respond(proposal(calls)).respond(new AIMessage('done'))
}

/** The tool messages of an agent's final state, by tool call id. */
export function toolMessages(messages: readonly BaseMessage[]): Map<string, ToolMessage> {
  const found = new Map<string, ToolMessage>()
  for (const message of messages) {
    if (ToolMessage.isInstance(message)) found.set(message.tool_call_id, message)
  }
  return found
}

/** The text content of a message. */
export function textOf(message: ToolMessage): string {
  return typeof message.content === 'string' ? message.content : JSON.stringify(message.content)
}
