/**
 * The signed session header of `writ serve`: how an agent's runtime names the session a
 * request belongs to, so that one credential can run many sessions while the model,
 * which never holds the session key, cannot choose one.
 *
 *     Writ-Session: v1.<id>.<mac>
 *     mac = base64url(HMAC-SHA256(sessionKey, "writ-session:v1|" + agent + "|" + id))
 */
import { WritError } from '@writ/verify'
import { base64UrlDecode, base64UrlEncode, hmacSha256 } from '@writ/verify/internal'

/** The request header that carries a signed session, as field names are case-insensitive. */
export const SESSION_HEADER = 'Writ-Session'

/** A session id of the header: 1 to 128 of `A-Z a-z 0-9 . _ -`. @internal */
export const SESSION_ID_PATTERN = /^[A-Za-z0-9._-]{1,128}$/

/** A session key: base64url without padding of at least 32 bytes. @internal */
const SESSION_KEY_PATTERN = /^[A-Za-z0-9_-]{43,}$/

/** The whole header value: `v1.<id>.<43-character mac>`. @internal */
export const SESSION_HEADER_PATTERN = /^v1\.([A-Za-z0-9._-]{1,128})\.([A-Za-z0-9_-]{43})$/

/** What a session header is made from. */
export interface SessionHeaderInput {
  /** The agent id the authority knows the credential as (the `agent` of its agents file entry). */
  readonly agentId: string
  /** The agent's `sessionKey` from the agents file: base64url of 32 or more random bytes. */
  readonly sessionKey: string
  /** The session: 1 to 128 characters of `A-Z a-z 0-9 . _ -`, e.g. a run or conversation id. */
  readonly id: string
}

/** The bytes the mac is computed over. @internal */
export function sessionMacInput(agentId: string, id: string): Uint8Array {
  return new TextEncoder().encode(`writ-session:v1|${agentId}|${id}`)
}

/**
 * The decoded session key, or `undefined` when it is not base64url (no padding) of at
 * least 32 bytes that encodes back to the same text. @internal
 */
export function decodeSessionKey(sessionKey: unknown): Uint8Array | undefined {
  if (typeof sessionKey !== 'string' || !SESSION_KEY_PATTERN.test(sessionKey)) return undefined
  try {
    const bytes = base64UrlDecode(sessionKey)
    return bytes.byteLength >= 32 && base64UrlEncode(bytes) === sessionKey ? bytes : undefined
  } catch {
    return undefined
  }
}

/**
 * The value of the `Writ-Session` header for one session of one agent. The agent's
 * runtime computes it and sends it with every decision request of that session; the
 * model never sees the key. `writ serve` checks the mac and counts `per: session`
 * limits and CEL `history` in the session `agent:<agentId>:<id>`.
 *
 * @throws WritError `SESSION_INVALID` when the id or key is malformed or the agent id is empty.
 * @example
 * ```ts
 * const value = await sessionHeader({ agentId: 'agent:support', sessionKey: process.env.WRIT_SESSION_KEY!, id: runId })
 * await fetch(`${authority}/v1/decisions`, { method: 'POST', headers: { authorization, 'writ-session': value }, body })
 * ```
 */
export async function sessionHeader(input: SessionHeaderInput): Promise<string> {
  const { agentId, sessionKey, id } = input ?? ({} as SessionHeaderInput)
  if (typeof agentId !== 'string' || agentId === '')
    throw new WritError('SESSION_INVALID', 'agentId must be the agent id of the credential.', {
      details: { option: 'agentId' },
    })
  if (typeof id !== 'string' || !SESSION_ID_PATTERN.test(id))
    throw new WritError(
      'SESSION_INVALID',
      'A session id is 1 to 128 characters of A-Z, a-z, 0-9, ".", "_" and "-".',
      { details: { option: 'id' } },
    )
  const key = decodeSessionKey(sessionKey)
  if (key === undefined)
    throw new WritError(
      'SESSION_INVALID',
      'sessionKey must be base64url (no padding) of at least 32 random bytes.',
      { details: { option: 'sessionKey' } },
    )
  const mac = await hmacSha256(key, sessionMacInput(agentId, id))
  return `v1.${id}.${base64UrlEncode(mac)}`
}
