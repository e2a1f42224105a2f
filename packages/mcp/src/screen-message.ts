import {
  isJSONRPCRequest,
  type JSONRPCMessage,
  JSONRPCMessageSchema,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js'
import { WritError } from '@writ/verify'
import { parseJson } from '@writ/verify/internal'

/** The most bytes one message from the host may have (4 MiB). */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024

/** What to do with one message from the host. */
export type Screened =
  /** Hand it to the server. */
  | { readonly kind: 'message'; readonly message: JSONRPCMessage }
  /** A `tools/call` that is not I-JSON: the gate records it, refused, and the host gets that answer. */
  | {
      readonly kind: 'unreadable-call'
      readonly id: RequestId
      readonly name: string
      readonly text: string
      readonly error: WritError
    }
  /** Answer a JSON-RPC error (`id` null when the message had none that could be read). */
  | {
      readonly kind: 'error'
      readonly id: RequestId | null
      readonly code: number
      readonly message: string
    }
  /** A notification that cannot be read: nothing to answer. */
  | { readonly kind: 'drop' }

const PARSE_ERROR = -32700
const INVALID_REQUEST = -32600

/**
 * Reads one message from the host before the SDK does. The text is read twice: leniently,
 * to find what it is, and strictly, with the I-JSON reader the gate uses (duplicate keys,
 * `__proto__`, lone surrogates, unsafe integers, depth). A message only the lenient
 * reader accepts never reaches the server: a `tools/call` becomes a refusal with a
 * receipt, any other request a JSON-RPC error. Parsers that disagree about a message
 * (which `name`, which `amount`) must not get to decide separately.
 */
export function screenMessage(text: string): Screened {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return { kind: 'error', id: null, code: PARSE_ERROR, message: 'Parse error' }
  }
  const id = idOf(value)
  try {
    parseJson(text, { maxBytes: MAX_MESSAGE_BYTES, maxDepth: 80 })
  } catch (cause) {
    const error = WritError.isInstance(cause) ? cause : new WritError('INPUT_SYNTAX', 'Not I-JSON.')
    if (id === undefined) return { kind: 'drop' }
    const name = (value as { params?: { name?: unknown } }).params?.name
    if (isJSONRPCRequest(value) && value.method === 'tools/call' && typeof name === 'string')
      return { kind: 'unreadable-call', id, name, text, error }
    return { kind: 'error', id, code: INVALID_REQUEST, message: `Invalid Request (${error.code})` }
  }
  const parsed = JSONRPCMessageSchema.safeParse(value)
  if (!parsed.success)
    return { kind: 'error', id: id ?? null, code: INVALID_REQUEST, message: 'Invalid Request' }
  return { kind: 'message', message: parsed.data }
}

function idOf(value: unknown): RequestId | undefined {
  const id = (value as { id?: unknown } | null)?.id
  return typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id))
    ? id
    : undefined
}
