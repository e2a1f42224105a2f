/**
 * A scripted stand-in for the OpenAI API on 127.0.0.1, speaking the Chat Completions
 * (JSON, or server-sent chunks for `stream: true`) and Responses (JSON) wire formats.
 * It answers each request with the
 * next scripted turn, records every request body, and rejects with HTTP 400, as the
 * real API does, a conversation in which a tool call has no tool output.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One function call the scripted model makes. */
export interface ScriptedToolCall {
  readonly name: string
  /** Raw argument text, sent byte for byte. */
  readonly arguments: string
  readonly id?: string
}

/** One scripted model turn: either tool calls or a final text. */
export type ScriptedTurn =
  | { readonly toolCalls: readonly ScriptedToolCall[] }
  | { readonly text: string }

/** A request the server received. */
export interface RecordedRequest {
  readonly path: string
  readonly body: Record<string, unknown>
}

/** A running fake server. */
export interface FakeOpenAIServer {
  /** Pass as `baseURL` to `new OpenAI(...)`. */
  readonly baseURL: string
  /** Every request received, in order (rejected ones included). */
  readonly requests: RecordedRequest[]
  /** Queues turns; when the queue is empty the model answers with the text `done`. */
  script(...turns: ScriptedTurn[]): void
  close(): Promise<void>
}

const toolNamePattern = /^[a-zA-Z0-9_-]{1,64}$/

class BadRequest extends Error {
  constructor(
    message: string,
    readonly param: string | null = null,
  ) {
    super(message)
  }
}

type Item = Record<string, unknown>

function isItem(value: unknown): value is Item {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function checkTools(tools: unknown): void {
  if (tools === undefined) return
  if (!Array.isArray(tools))
    throw new BadRequest("Invalid type for 'tools': expected an array.", 'tools')
  tools.forEach((tool, index) => {
    const name = isItem(tool)
      ? isItem(tool['function'])
        ? tool['function']['name']
        : tool['name']
      : undefined
    if (typeof name !== 'string' || !toolNamePattern.test(name)) {
      throw new BadRequest(
        `Invalid 'tools[${index}].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`,
        `tools[${index}].function.name`,
      )
    }
  })
}

function checkChatConversation(messages: unknown): void {
  if (!Array.isArray(messages))
    throw new BadRequest("Missing required parameter: 'messages'.", 'messages')
  let pending: Set<string> | undefined
  messages.forEach((message, index) => {
    if (!isItem(message))
      throw new BadRequest(`Invalid type for 'messages[${index}]'.`, `messages[${index}]`)
    if (message['role'] === 'tool') {
      const id = message['tool_call_id']
      if (pending === undefined || typeof id !== 'string' || !pending.has(id)) {
        throw new BadRequest(
          "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.",
          `messages.[${index}].role`,
        )
      }
      if (typeof message['content'] !== 'string' && !Array.isArray(message['content'])) {
        throw new BadRequest(
          `Invalid type for 'messages[${index}].content'.`,
          `messages[${index}].content`,
        )
      }
      pending.delete(id)
      return
    }
    if (pending !== undefined && pending.size > 0) {
      throw new BadRequest(
        `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...pending].join(', ')}`,
        `messages.[${index}].role`,
      )
    }
    pending = undefined
    if (
      message['role'] === 'assistant' &&
      Array.isArray(message['tool_calls']) &&
      message['tool_calls'].length > 0
    ) {
      pending = new Set(
        message['tool_calls'].map((call) => (isItem(call) ? String(call['id']) : '')),
      )
    }
  })
  if (pending !== undefined && pending.size > 0) {
    throw new BadRequest(
      `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${[...pending].join(', ')}`,
      'messages',
    )
  }
}

function checkResponsesConversation(input: unknown, previous: readonly Item[]): void {
  const items: Item[] = [...previous]
  if (typeof input === 'string') items.push({ type: 'message', role: 'user', content: input })
  else if (Array.isArray(input)) for (const item of input) items.push(isItem(item) ? item : {})
  else if (input !== undefined) throw new BadRequest("Invalid type for 'input'.", 'input')
  const calls = new Set<string>()
  const outputs = new Set<string>()
  for (const item of items) {
    if (item['type'] === 'function_call') calls.add(String(item['call_id']))
    if (item['type'] === 'function_call_output') {
      const callId = String(item['call_id'])
      if (!calls.has(callId))
        throw new BadRequest(
          `No tool call found for function call output with call_id ${callId}.`,
          'input',
        )
      if (typeof item['output'] !== 'string' && !Array.isArray(item['output'])) {
        throw new BadRequest("Invalid type for 'input[].output'.", 'input')
      }
      outputs.add(callId)
    }
  }
  for (const callId of calls) {
    if (!outputs.has(callId))
      throw new BadRequest(`No tool output found for function call ${callId}.`, 'input')
  }
}

/** What the fake server remembers between requests. */
interface FakeState {
  readonly turns: ScriptedTurn[]
  readonly requests: RecordedRequest[]
  /** Everything a stored response contributes to a later `previous_response_id` conversation. */
  readonly conversations: Map<string, Item[]>
  counter: number
}

function nextTurn(state: FakeState): ScriptedTurn {
  return state.turns.shift() ?? { text: 'done' }
}

function nextId(state: FakeState, prefix: string): string {
  state.counter += 1
  return `${prefix}${state.counter}`
}

function callIdsOf(state: FakeState, calls: readonly ScriptedToolCall[]): string[] {
  return calls.map((call) => call.id ?? nextId(state, 'call_'))
}

function chatMessage(state: FakeState, turn: ScriptedTurn): Item {
  if ('text' in turn) return { role: 'assistant', content: turn.text, refusal: null }
  const toolCalls = callIdsOf(state, turn.toolCalls).map((id, index) => ({
    id,
    type: 'function',
    function: { name: turn.toolCalls[index]!.name, arguments: turn.toolCalls[index]!.arguments },
  }))
  return { role: 'assistant', content: null, refusal: null, tool_calls: toolCalls }
}

/** Answers `POST /chat/completions` with the next scripted turn. */
function chatCompletion(state: FakeState, body: Item): Item {
  checkTools(body['tools'])
  checkChatConversation(body['messages'])
  const turn = nextTurn(state)
  const message = chatMessage(state, turn)
  const finishReason = 'text' in turn ? 'stop' : 'tool_calls'
  return {
    id: nextId(state, 'chatcmpl-'),
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: String(body['model']),
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  }
}

/** The stored conversation a `previous_response_id` continues, or none. */
function previousConversation(state: FakeState, previousId: unknown): Item[] {
  if (previousId === undefined || previousId === null) return []
  const stored = state.conversations.get(String(previousId))
  if (stored === undefined) {
    const message = `Previous response with id '${String(previousId)}' not found.`
    throw new BadRequest(message, 'previous_response_id')
  }
  return stored
}

function responseOutput(state: FakeState, turn: ScriptedTurn): Item[] {
  if ('text' in turn) {
    const content = [{ type: 'output_text', text: turn.text, annotations: [] }]
    const id = nextId(state, 'msg_')
    return [{ type: 'message', id, role: 'assistant', status: 'completed', content }]
  }
  return callIdsOf(state, turn.toolCalls).map((callId, index) => ({
    type: 'function_call',
    id: nextId(state, 'fc_'),
    call_id: callId,
    name: turn.toolCalls[index]!.name,
    arguments: turn.toolCalls[index]!.arguments,
    status: 'completed',
  }))
}

/** Answers `POST /responses` with the next scripted turn, and stores the conversation. */
function responsesResponse(state: FakeState, body: Item): Item {
  checkTools(body['tools'])
  const previous = previousConversation(state, body['previous_response_id'])
  checkResponsesConversation(body['input'], previous)
  const output = responseOutput(state, nextTurn(state))
  const id = nextId(state, 'resp_')
  const input = Array.isArray(body['input']) ? body['input'].filter(isItem) : []
  state.conversations.set(id, [...previous, ...input, ...output])
  return {
    id,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status: 'completed',
    model: String(body['model']),
    output,
    parallel_tool_calls: true,
    tool_choice: 'auto',
    tools: Array.isArray(body['tools']) ? body['tools'] : [],
    error: null,
    incomplete_details: null,
    instructions: null,
    metadata: {},
    temperature: 1,
    top_p: 1,
    usage: { input_tokens: 1, output_tokens: 1, total_tokens: 2 },
  }
}

/** Sends a chat completion as server-sent chunks, as `stream: true` asks. */
function streamCompletion(response: ServerResponse, completion: Item): void {
  const choice = (completion['choices'] as Item[])[0]!
  const message = choice['message'] as Item
  const base = {
    id: completion['id'],
    object: 'chat.completion.chunk',
    created: completion['created'],
    model: completion['model'],
  }
  const chunk = (delta: Item, finishReason: unknown = null) =>
    `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] })}\n\n`
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' })
  response.write(chunk({ role: 'assistant', content: message['content'] ?? null, refusal: null }))
  const calls = Array.isArray(message['tool_calls']) ? (message['tool_calls'] as Item[]) : []
  calls.forEach((call, index) => {
    response.write(chunk({ tool_calls: [{ index, ...call }] }))
  })
  response.write(chunk({}, choice['finish_reason']))
  response.end('data: [DONE]\n\n')
}

function sendJson(response: ServerResponse, status: number, payload: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' })
  response.end(JSON.stringify(payload))
}

function errorBody(message: string, type: string, param: string | null = null): Item {
  return { error: { message, type, param, code: null } }
}

/** The request body as a JSON object, or a 400 answer. */
async function readJsonBody(request: IncomingMessage): Promise<Item> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'))
  if (!isItem(parsed)) throw new BadRequest('The request body must be a JSON object.')
  return parsed
}

/** Answers one request: chat completions (JSON or streamed), responses, or 404. */
function route(
  state: FakeState,
  method: string | undefined,
  path: string,
  body: Item,
  response: ServerResponse,
): void {
  if (method === 'POST' && path.endsWith('/chat/completions')) {
    const completion = chatCompletion(state, body)
    if (body['stream'] === true) streamCompletion(response, completion)
    else sendJson(response, 200, completion)
  } else if (method === 'POST' && path.endsWith('/responses')) {
    sendJson(response, 200, responsesResponse(state, body))
  } else {
    sendJson(response, 404, errorBody(`Unknown path ${path}`, 'invalid_request_error'))
  }
}

async function handle(
  state: FakeState,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname
  let body: Item
  try {
    body = await readJsonBody(request)
  } catch (error) {
    sendJson(response, 400, errorBody(String(error), 'invalid_request_error'))
    return
  }
  state.requests.push({ path, body })
  try {
    route(state, request.method, path, body, response)
  } catch (error) {
    if (!(error instanceof BadRequest)) throw error
    sendJson(response, 400, errorBody(error.message, 'invalid_request_error', error.param))
  }
}

/** Starts a fake OpenAI API on 127.0.0.1 on a free port. */
export async function startFakeOpenAIServer(): Promise<FakeOpenAIServer> {
  const state: FakeState = { turns: [], requests: [], conversations: new Map(), counter: 0 }
  const server: Server = createServer((request, response) => {
    handle(state, request, response).catch((error: unknown) => {
      sendJson(response, 500, errorBody(String(error), 'server_error'))
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests: state.requests,
    script: (...more) => {
      state.turns.push(...more)
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections()
        server.close((error) => (error ? reject(error) : resolve()))
      }),
  }
}
