/**
 * The agent's tools: what the model sees, which Writ action each is, and how each
 * call's HTTP request is decided by Writ and sent through `createGatedFetch`.
 */
import type { Gate, JsonObject } from '@writ/core'
import { createGatedFetch } from '@writ/fetch'
import { routeOf, type ServiceDirectory, type ServiceName } from './routes.js'
import type { Timeline } from './timeline.js'

/** A tool as the model sees it, with the Writ action it is. */
export interface ToolSpec {
  /** OpenAI tool names cannot contain dots. */
  readonly name: string
  readonly action: string
  readonly description: string
  /** JSON Schema of the arguments. */
  readonly parameters: Readonly<Record<string, unknown>>
}

/** Every tool the demo's agents have. */
export const TOOL_SPECS: readonly ToolSpec[] = [
  {
    name: 'payments_transfer',
    action: 'payments.transfer',
    description: 'Transfer money from the operating account to a payee.',
    parameters: {
      type: 'object',
      properties: {
        to: { type: 'string', description: 'payee account id' },
        amount: { type: 'number' },
        currency: { type: 'string', enum: ['EUR'] },
        memo: { type: 'string' },
      },
      required: ['to', 'amount', 'currency', 'memo'],
      additionalProperties: false,
    },
  },
  {
    name: 'bank_close_account',
    action: 'bank.close_account',
    description: 'Close a bank account.',
    parameters: {
      type: 'object',
      properties: { account: { type: 'string' } },
      required: ['account'],
      additionalProperties: false,
    },
  },
  {
    name: 'warehouse_export',
    action: 'warehouse.export',
    description: 'Export columns of a warehouse table to a destination.',
    parameters: {
      type: 'object',
      properties: {
        table: { type: 'string' },
        columns: { type: 'array', items: { type: 'string' } },
        destination: { type: 'string', description: 'internal://analytics/<name> or a URL' },
      },
      required: ['table', 'columns', 'destination'],
      additionalProperties: false,
    },
  },
  {
    name: 'ehr_write',
    action: 'ehr.write',
    description: "Write one field of a patient's health record (a new version).",
    parameters: {
      type: 'object',
      properties: {
        patient: { type: 'string' },
        field: { type: 'string', description: 'progress_note, diagnosis, allergies…' },
        value: { type: 'string' },
      },
      required: ['patient', 'field', 'value'],
      additionalProperties: false,
    },
  },
  {
    name: 'web_fetch',
    action: 'web.fetch',
    description: 'Fetch a web page and return its text.',
    parameters: {
      type: 'object',
      properties: { url: { type: 'string', description: 'the https URL of the page' } },
      required: ['url'],
      additionalProperties: false,
    },
  },
  {
    name: 'email_send',
    action: 'email.send',
    description: 'Send an email from the operations mailbox.',
    parameters: {
      type: 'object',
      properties: {
        to: { type: 'string', description: 'one email address' },
        subject: { type: 'string' },
        text: { type: 'string' },
      },
      required: ['to', 'subject', 'text'],
      additionalProperties: false,
    },
  },
]

const actionsByTool: Readonly<Record<string, string>> = Object.assign(
  Object.create(null),
  Object.fromEntries(TOOL_SPECS.map((spec) => [spec.name, spec.action])),
)

/**
 * The Writ action of a tool name. An unknown name maps to itself, which no rule
 * permits (and which is refused as an invalid name when it is not one).
 */
export function actionOfTool(toolName: string): string {
  return Object.hasOwn(actionsByTool, toolName) ? (actionsByTool[toolName] ?? toolName) : toolName
}

/** What the agent's tools need to reach the services. */
export interface Toolkit {
  /** The gate that decides each request a tool makes (its decisions go to the timeline). */
  readonly gate: Gate
  readonly services: ServiceDirectory
  readonly timeline: Timeline
  /** The network under the gated fetch; a scenario may swap it (to tamper, to capture). */
  transport: (request: Request) => Promise<Response>
}

/** What a tool returns to the model: the service's answer, or Writ's refusal. */
export interface ToolResult {
  readonly service: ServiceName | null
  readonly status: number
  readonly body: unknown
  /** True when Writ refused the request before it was sent. */
  readonly refused: boolean
}

/** One tool call as the model proposed it. */
export interface ToolCallInput {
  readonly action: string
  /** The arguments exactly as the model wrote them: raw JSON text. */
  readonly argsText: string
  /** The agent (principal) the receipt names. */
  readonly agent: string
  /** Facts the application adds for the policy (`context`). */
  readonly context?: JsonObject
  /**
   * The agent run the call belongs to: its `history` and `per: session` limits. Set by
   * the application (one per run), never by the model.
   */
  readonly session?: string
}

/**
 * Carries out a tool call: the HTTP request that carries out its action (a JSON POST to
 * its service, the model's argument text as the body) goes through `createGatedFetch`.
 * Writ decides THAT request (spec section 10: the policy sees its one view, the
 * arguments at `args.body`), once; on PERMIT the same bytes leave with the receipt
 * (`Writ-Receipt`, `Content-Digest`), and the service runs exactly what was decided.
 * On a refusal nothing is sent and the model reads the signed refusal.
 */
export async function sendAction(toolkit: Toolkit, call: ToolCallInput): Promise<ToolResult> {
  let parsed: unknown
  try {
    parsed = JSON.parse(call.argsText) as unknown
  } catch {
    parsed = undefined
  }
  // The route only picks the endpoint (a patient or account id in the path); what is
  // decided and sent is the request itself, with the model's bytes as its body.
  const route =
    typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? routeOf(toolkit.services, call.action, parsed as Record<string, unknown>)
      : undefined
  if (route === undefined) {
    return {
      service: null,
      status: 404,
      body: { error: `no service carries out ${call.action} with these arguments` },
      refused: false,
    }
  }
  const gatedFetch = createGatedFetch(toolkit.gate, {
    actionName: call.action,
    agent: call.agent,
    ...(call.context === undefined ? {} : { context: call.context }),
    ...(call.session === undefined ? {} : { session: call.session }),
    fetch: (input, init) => recordingFetch(toolkit, route.service, input, init),
  })
  const response = await gatedFetch(route.url, {
    method: route.method,
    headers: { 'content-type': 'application/json' },
    body: call.argsText,
  })
  const text = await response.text()
  let body: unknown = text
  try {
    body = JSON.parse(text) as unknown
  } catch {
    // not JSON: keep the text
  }
  const refused =
    response.status === 403 &&
    typeof body === 'object' &&
    body !== null &&
    (body as { writ?: unknown }).writ === 'refused'
  return { service: refused ? null : route.service, status: response.status, body, refused }
}

async function recordingFetch(
  toolkit: Toolkit,
  service: ServiceName,
  input: RequestInfo | URL,
  init?: RequestInit,
): Promise<Response> {
  const request = new Request(input, init)
  const receipt = request.headers.get('writ-receipt')
  const response = await toolkit.transport(request)
  toolkit.timeline.served(receipt, await outcomeOf(service, response))
  return response
}

/** What a service's response says about what it did. */
export async function outcomeOf(
  service: ServiceName,
  response: Response,
): Promise<{ service: ServiceName; status: number; executed: boolean; code: string | null }> {
  const executed = response.status >= 200 && response.status < 300
  let code: string | null = null
  if (!executed) {
    try {
      const problem = (await response.clone().json()) as { code?: unknown }
      code = typeof problem.code === 'string' ? problem.code : `HTTP_${response.status}`
    } catch {
      code = `HTTP_${response.status}`
    }
  }
  return { service, status: response.status, executed, code }
}
