/**
 * The wire format of `POST /v1/decisions`, read into the request the gate decides on.
 *
 * For an HTTP action the agent sends the request itself, in `httpRequest`; the gate
 * derives both the arguments its policy evaluates and the binding it signs from those
 * bytes (spec section 10). The agent can therefore no longer send one view to the
 * policy (`args`) and another to the receipt (the old `http` member): both are refused.
 */
import type { ActionRequest } from '@writ/core'
import type { JsonObject, JsonValue } from '@writ/verify'
import type { AgentCredential } from './credentials.js'

/** An HTTP request as the agent proposes it, whole. */
export interface ProposedHttpRequest {
  readonly method: string
  readonly uri: string
  readonly contentType?: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body: Uint8Array
}

/**
 * What the server hands the gate: an `ActionRequest` whose `action` may be absent when
 * `httpRequest` is given (the gate names such an action `http.<method>`).
 */
export type DecisionInput = Omit<ActionRequest, 'action'> & { readonly action?: string }

/** A refusal of the request body, before any decision: no receipt is issued. */
export interface WireProblem {
  readonly status: number
  readonly code: string
  readonly detail: string
}

const allowedMembers = new Set([
  'action',
  'args',
  'request',
  'context',
  'audience',
  'refs',
  'httpRequest',
])
const httpRequestMembers = new Set(['method', 'uri', 'contentType', 'headers', 'body'])
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

const syntax = (detail: string): WireProblem => ({ status: 400, code: 'INPUT_SYNTAX', detail })

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Standard base64 (RFC 4648 section 4) with padding, strictly: the text must be exactly
 * what encoding the decoded bytes gives back, so one body has one spelling.
 */
export function decodeStrictBase64(text: string): Uint8Array | undefined {
  if (!BASE64.test(text)) return undefined
  const bytes = Buffer.from(text, 'base64')
  if (bytes.toString('base64') !== text) return undefined
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)
}

function readHttpRequest(value: JsonValue | undefined): ProposedHttpRequest | WireProblem {
  if (!isObject(value)) return syntax('"httpRequest" must be an object.')
  for (const member of Object.keys(value))
    if (!httpRequestMembers.has(member)) return syntax(`Unknown member "httpRequest.${member}".`)
  const { method, uri, contentType, headers, body } = value
  if (typeof method !== 'string' || !TOKEN.test(method) || method.length > 32)
    return syntax('"httpRequest.method" must be an HTTP method token.')
  if (typeof uri !== 'string' || uri.length === 0 || uri.length > 8192)
    return syntax('"httpRequest.uri" must be the full target URI, 1 to 8192 characters.')
  if (
    contentType !== undefined &&
    (typeof contentType !== 'string' || !FIELD_VALUE.test(contentType))
  )
    return syntax('"httpRequest.contentType" must be a header value.')
  let headerTable: Record<string, string> | undefined
  if (headers !== undefined) {
    if (!isObject(headers)) return syntax('"httpRequest.headers" must be an object of strings.')
    headerTable = Object.create(null) as Record<string, string>
    const names = new Set<string>()
    for (const [name, headerValue] of Object.entries(headers)) {
      if (!TOKEN.test(name) || typeof headerValue !== 'string' || !FIELD_VALUE.test(headerValue))
        return syntax(`"httpRequest.headers.${name}" must be a header name with a string value.`)
      // Two spellings of one header could be read differently by the two sides.
      if (names.has(name.toLowerCase()))
        return syntax(`"httpRequest.headers" names "${name}" twice.`)
      names.add(name.toLowerCase())
      headerTable[name] = headerValue
    }
  }
  let bytes: Uint8Array = new Uint8Array(0)
  if (body !== undefined) {
    const decoded = typeof body === 'string' ? decodeStrictBase64(body) : undefined
    if (decoded === undefined)
      return syntax('"httpRequest.body" must be the body bytes in padded standard base64.')
    bytes = decoded
  }
  return {
    method,
    uri,
    ...(contentType === undefined ? {} : { contentType }),
    ...(headerTable === undefined ? {} : { headers: headerTable }),
    body: bytes,
  }
}

/** The members of the body are known ones; the retired `http` member is named as such. */
function checkMembers(body: JsonObject): WireProblem | undefined {
  if (Object.hasOwn(body, 'http')) {
    return syntax(
      'The "http" member is no longer accepted: send the request itself in "httpRequest" ({ method, uri, contentType?, headers?, body: base64 }), and the authority derives both the arguments and the binding from it.',
    )
  }
  for (const member of Object.keys(body))
    if (!allowedMembers.has(member))
      return syntax(
        `Unknown member "${member}". The agent identity comes from the credential, never the body.`,
      )
  return undefined
}

/** `action` is a string, optional only for an HTTP action; `args` and `httpRequest` exclude each other. */
function checkAction(body: JsonObject, isHttp: boolean): WireProblem | undefined {
  const action = body['action']
  if (isHttp ? action !== undefined && typeof action !== 'string' : typeof action !== 'string')
    return { status: 400, code: 'ACTION_NAME_INVALID', detail: '"action" must be a string.' }
  if (isHttp && body['args'] !== undefined)
    return syntax(
      'Send either "args" or "httpRequest", not both: for an HTTP action the arguments are derived from the request.',
    )
  for (const member of ['request', 'audience'] as const)
    if (body[member] !== undefined && typeof body[member] !== 'string')
      return syntax(`"${member}" must be a string.`)
  return undefined
}

/** The audience asked for is one the credential's operator listed, when they listed any. */
function checkAudience(
  audience: string | undefined,
  credential: AgentCredential,
): WireProblem | undefined {
  if (credential.audiences === undefined) return undefined
  if (audience !== undefined && credential.audiences.includes(audience)) return undefined
  return {
    status: 403,
    code: 'AUDIENCE_NOT_ALLOWED',
    detail: 'This credential may ask permits only for the audiences its operator listed.',
  }
}

/** The context policies see: the credential's members always win over the agent's. */
function readContext(
  agentContext: JsonValue | undefined,
  credential: AgentCredential,
  acceptAgentContext: boolean,
): { readonly context: JsonObject | undefined } | WireProblem {
  if (agentContext !== undefined && !acceptAgentContext)
    return {
      status: 400,
      code: 'CONTEXT_NOT_ACCEPTED',
      detail:
        'This authority does not take context from agents; policies see only what the operator set for this credential.',
    }
  if (agentContext !== undefined && !isObject(agentContext))
    return { status: 400, code: 'INPUT_NOT_OBJECT', detail: '"context" must be a JSON object.' }
  return {
    context:
      agentContext === undefined && credential.context === undefined
        ? undefined
        : { ...agentContext, ...credential.context },
  }
}

/**
 * Reads a parsed decision body into the gate's input, for the agent of `credential`.
 * The agent (`sub`) comes from the credential, never from the body; context from the
 * credential always wins over the agent's own.
 */
export function readDecisionRequest(
  body: JsonObject,
  credential: AgentCredential,
  options: {
    readonly acceptAgentContext: boolean
    /** The session from the signed `Writ-Session` header; default: the credential's. */
    readonly session?: string
  },
): DecisionInput | WireProblem {
  const members = checkMembers(body)
  if (members !== undefined) return members
  const httpRequest =
    body['httpRequest'] === undefined ? undefined : readHttpRequest(body['httpRequest'])
  if (httpRequest !== undefined && 'status' in httpRequest) return httpRequest
  const shape = checkAction(body, httpRequest !== undefined)
  if (shape !== undefined) return shape
  const audience = body['audience'] as string | undefined
  const audienceProblem = checkAudience(audience, credential)
  if (audienceProblem !== undefined) return audienceProblem
  const merged = readContext(body['context'], credential, options.acceptAgentContext)
  if ('status' in merged) return merged
  const { context } = merged
  const action = body['action']
  return {
    agent: credential.agent,
    // The session `per: session` limits and `history` count in: the credential's, or one
    // its runtime signed with the agent's session key; never the body's (a "session"
    // member is refused above as unknown), so the model cannot start afresh.
    session: options.session ?? `token:${credential.tokenSha256}`,
    ...(typeof action === 'string' ? { action } : {}),
    ...(httpRequest === undefined ? { args: body['args'] } : { httpRequest }),
    ...(typeof body['request'] === 'string' ? { request: body['request'] } : {}),
    ...(context === undefined ? {} : { context }),
    ...(audience === undefined ? {} : { audience }),
    // The gate checks refs as input, as it does for a local caller.
    ...(body['refs'] === undefined
      ? {}
      : { refs: body['refs'] as NonNullable<DecisionInput['refs']> }),
  }
}
