/**
 * The agent's tools: what the model sees, which Writ action each is, and how a
 * permitted call reaches its receiving service through `createGatedFetch`.
 */
import { createGatedFetch } from '@writ/fetch'
import { canonicalize } from '@writ/verify'
import type { PermitRelay } from './permit-relay.js'
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
  readonly relay: PermitRelay
  readonly services: ServiceDirectory
  readonly timeline: Timeline
  /** The network under the gated fetch; a scenario may swap it (to tamper, to capture). */
  transport: (request: Request) => Promise<Response>
}

/** What a tool returns to the model: the service's answer. */
export interface ToolResult {
  readonly service: ServiceName | null
  readonly status: number
  readonly body: unknown
}

/**
 * Carries out a permitted action: sends the canonical JSON of exactly the permitted
 * arguments to the action's service through `createGatedFetch`, which attaches the
 * receipt issued for that request (`Writ-Receipt`, `Content-Digest`) and refuses to
 * send anything else.
 */
export async function sendAction(
  toolkit: Toolkit,
  action: string,
  args: Readonly<Record<string, unknown>>,
): Promise<ToolResult> {
  const route = routeOf(toolkit.services, action, args)
  if (route === undefined) {
    return { service: null, status: 404, body: { error: `no service carries out ${action}` } }
  }
  const gatedFetch = createGatedFetch(toolkit.relay.wireGate, {
    action,
    args: 'body',
    fetch: (input, init) => recordingFetch(toolkit, route.service, input, init),
  })
  const response = await gatedFetch(route.url, {
    method: route.method,
    headers: { 'content-type': 'application/json' },
    body: canonicalize(args),
  })
  const text = await response.text()
  let body: unknown = text
  try {
    body = JSON.parse(text) as unknown
  } catch {
    // not JSON: keep the text
  }
  return { service: route.service, status: response.status, body }
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
