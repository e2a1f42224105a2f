/**
 * A scripted language model behind an OpenAI-compatible Chat Completions endpoint on
 * 127.0.0.1, so the demo runs offline with the real `openai` client and no key. For
 * each user prompt it knows, it answers with the scripted tool calls, turn by turn,
 * then with a short summary of what the tools returned.
 */
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One tool call the scripted model makes. */
export interface ScriptedToolCall {
  readonly tool: string
  readonly args: Readonly<Record<string, unknown>>
}

/** The model's turns for one prompt: each turn is the tool calls of one assistant message. */
export type ModelScript = readonly (readonly ScriptedToolCall[])[]

/** A running scripted model. */
export interface ScriptedModel {
  /** The base URL for the `openai` client, ending in `/v1`. */
  readonly baseURL: string
  /** Teaches the model what to do for a prompt. */
  script(prompt: string, turns: ModelScript): void
  close(): Promise<void>
}

interface ChatMessage {
  readonly role?: unknown
  readonly content?: unknown
}

function summaryOf(messages: readonly ChatMessage[]): string {
  const results: string[] = []
  for (let index = messages.length - 1; index >= 0; index -= 1) {
    const message = messages[index]
    if (message?.role !== 'tool') break
    const text = typeof message.content === 'string' ? message.content : ''
    let line = text
    try {
      const output = JSON.parse(text) as Record<string, unknown>
      if (output['writ'] === 'refused') {
        line = `Writ refused the action: ${String(output['decision'])} (${String(output['reason'])}), receipt ${String(output['receipt_id'])}.`
      } else if (typeof output['status'] === 'number') {
        const status = output['status']
        line =
          status >= 200 && status < 300
            ? `Done (HTTP ${status}).`
            : `The service refused it (HTTP ${status}).`
      }
    } catch {
      // keep the raw text
    }
    results.unshift(line)
  }
  return results.length === 0 ? 'I have nothing to do.' : results.join(' ')
}

/**
 * Starts the scripted model.
 *
 * @example
 * ```ts
 * const model = await startScriptedModel()
 * model.script('Pay ACME 40 EUR', [[{ tool: 'payments_transfer', args: { to: 'acme-supplies', amount: 40 } }]])
 * const client = new OpenAI({ baseURL: model.baseURL, apiKey: 'offline' })
 * ```
 */
export async function startScriptedModel(): Promise<ScriptedModel> {
  const scripts = new Map<string, ModelScript>()
  let calls = 0

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' })
        response.end(JSON.stringify(body))
      }
      if (request.method !== 'POST' || request.url !== '/v1/chat/completions') {
        reply(404, { error: { message: 'not found', type: 'invalid_request_error' } })
        return
      }
      let body: { model?: unknown; messages?: unknown }
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body
      } catch {
        reply(400, { error: { message: 'invalid JSON', type: 'invalid_request_error' } })
        return
      }
      const messages = Array.isArray(body.messages) ? (body.messages as ChatMessage[]) : []
      const prompt = messages.find((message) => message.role === 'user')?.content
      const turns = typeof prompt === 'string' ? scripts.get(prompt) : undefined
      const turn = messages.filter((message) => message.role === 'assistant').length
      const toolCalls = turns?.[turn] ?? []
      calls += 1
      const id = `chatcmpl-demo-${calls}`
      const message =
        toolCalls.length > 0
          ? {
              role: 'assistant',
              content: null,
              refusal: null,
              tool_calls: toolCalls.map((call, index) => ({
                id: `call_${calls}_${index}`,
                type: 'function',
                function: { name: call.tool, arguments: JSON.stringify(call.args) },
              })),
            }
          : { role: 'assistant', content: summaryOf(messages), refusal: null }
      reply(200, {
        id,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: typeof body.model === 'string' ? body.model : 'writ-demo-scripted',
        choices: [
          {
            index: 0,
            finish_reason: toolCalls.length > 0 ? 'tool_calls' : 'stop',
            logprobs: null,
            message,
          },
        ],
        usage: { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 },
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    script: (prompt, turns) => {
      scripts.set(prompt, turns)
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
