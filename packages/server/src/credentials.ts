import { createHash, hash, timingSafeEqual } from 'node:crypto'
import { decodeSessionKey } from '@writ/core/internal'
import type { JsonObject } from '@writ/verify'

/** One agent allowed to call the authority: its identity and the SHA-256 of its bearer token. */
export interface AgentCredential {
  /** The identity signed into receipts as `sub`. The request body can never choose it. */
  readonly agent: string
  /** Hex SHA-256 of the bearer token. Tokens themselves are never stored. */
  readonly tokenSha256: string
  /**
   * Facts about this agent that the operator vouches for (tenant, role, clearance),
   * handed to policies as `context`. They always win over anything the agent sends.
   */
  readonly context?: JsonObject
  /**
   * The audiences (`aud`) this agent may ask permits for, as exact strings. When set, a
   * request whose `audience` is missing or not one of them is refused with 403
   * `AUDIENCE_NOT_ALLOWED` and no receipt: a permit without `aud` would be good for
   * every service, so it is refused too. When absent, any audience is allowed.
   */
  readonly audiences?: readonly string[]
  /**
   * The key (base64url of 32 or more random bytes) that lets this agent's runtime name
   * its sessions with a signed `Writ-Session` header (see `sessionHeader` in
   * `@writ/core`). Without it the agent has one session, its token's; a request with the
   * header is refused with 400 `SESSION_NOT_ACCEPTED`.
   */
  readonly sessionKey?: string
}

/**
 * One operator of the authority: a person or system that may issue checkpoints, read
 * every agent's receipts and scrape `/metrics`. An operator token is never an agent
 * token: it cannot ask for decisions.
 */
export interface OperatorCredential {
  /** A name for logs, e.g. `ops:alice` or `prometheus`. */
  readonly name: string
  /** Hex SHA-256 of the bearer token. */
  readonly tokenSha256: string
}

/** Who presented a valid bearer token. */
export type Principal =
  | { readonly kind: 'agent'; readonly credential: AgentCredential }
  | { readonly kind: 'operator'; readonly operator: OperatorCredential }

/** Hex SHA-256 of a bearer token, for writing {@link AgentCredential}s. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/**
 * Looks up who presented an `Authorization: Bearer …` header: an agent, an operator, or
 * nobody. Compares hashes in constant time, and walks every credential so timing does
 * not reveal which one matched. Throws a `TypeError` for a malformed hash or session key, and for one
 * token hash listed twice (as two agents, or as an agent and an operator), which would
 * make the identity depend on list order.
 */
export function createCredentialCheck(
  agents: readonly AgentCredential[],
  operators: readonly OperatorCredential[] = [],
): (authorization: string | undefined) => Principal | undefined {
  const seen = new Set<string>()
  const entry = (tokenSha256: string, who: string, principal: Principal) => {
    if (typeof tokenSha256 !== 'string' || !/^[0-9a-f]{64}$/.test(tokenSha256))
      throw new TypeError(`Credential for ${who} needs a hex SHA-256 token hash`)
    if (seen.has(tokenSha256))
      throw new TypeError(`Credential for ${who} reuses a token hash listed before it`)
    seen.add(tokenSha256)
    return { principal, hash: Buffer.from(tokenSha256, 'hex') }
  }
  const table = [
    ...agents.map((credential) => {
      if (
        credential.sessionKey !== undefined &&
        decodeSessionKey(credential.sessionKey) === undefined
      )
        throw new TypeError(
          `Credential for ${credential.agent} needs a sessionKey of 32 or more bytes in base64url`,
        )
      return entry(credential.tokenSha256, credential.agent, { kind: 'agent', credential })
    }),
    ...operators.map((operator) =>
      entry(operator.tokenSha256, operator.name, { kind: 'operator', operator }),
    ),
  ]
  return (authorization) => {
    const match = /^Bearer ([\x21-\x7e]{16,512})$/.exec(authorization ?? '')
    if (!match) return undefined
    const presented = hash('sha256', match[1] as string, 'buffer')
    let found: Principal | undefined
    for (const candidate of table)
      if (timingSafeEqual(candidate.hash, presented) && found === undefined)
        found = candidate.principal
    return found
  }
}
