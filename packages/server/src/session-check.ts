/**
 * The session a decision request counts in: the credential's own, or the one its
 * agent's runtime names in a signed `Writ-Session` header.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { decodeSessionKey, SESSION_HEADER_PATTERN, sessionMacInput } from '@writ/core/internal'
import type { AgentCredential } from './credentials.js'
import type { WireProblem } from './decision-request.js'

const notAccepted: WireProblem = {
  status: 400,
  code: 'SESSION_NOT_ACCEPTED',
  detail:
    'This credential has no session key: its requests count in its own session, and the Writ-Session header is refused.',
}

const invalid: WireProblem = {
  status: 401,
  code: 'SESSION_INVALID',
  detail:
    'The Writ-Session header must be v1.<id>.<mac>, with the mac made from this agent and id with its session key.',
}

/**
 * The session of a request with `header` (the `Writ-Session` value, undefined when
 * absent) from the agent of `credential`: `token:<sha256 of the token>` without the
 * header, `agent:<agent>:<id>` with a header whose mac verifies, a refusal otherwise.
 * Two headers arrive joined by a comma and are refused as malformed.
 */
export function sessionOf(
  header: string | null | undefined,
  credential: AgentCredential,
): { readonly session: string } | WireProblem {
  if (header === undefined || header === null) return { session: `token:${credential.tokenSha256}` }
  const key =
    credential.sessionKey === undefined ? undefined : decodeSessionKey(credential.sessionKey)
  if (key === undefined) return notAccepted
  const match = SESSION_HEADER_PATTERN.exec(header)
  if (match === null) return invalid
  const id = match[1] as string
  // Compared as text, so one mac has one spelling (the last character's spare bits count).
  const presented = Buffer.from(match[2] as string, 'latin1')
  const expected = Buffer.from(
    createHmac('sha256', key).update(sessionMacInput(credential.agent, id)).digest('base64url'),
    'latin1',
  )
  if (presented.byteLength !== expected.byteLength || !timingSafeEqual(presented, expected))
    return invalid
  const session = `agent:${credential.agent}:${id}`
  // A gate takes sessions of up to 256 characters; a longer one is refused here, named.
  return session.length > 256 ? invalid : { session }
}
