import { createHash, timingSafeEqual } from 'node:crypto'
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
}

/** Hex SHA-256 of a bearer token, for writing {@link AgentCredential}s. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/**
 * Looks up the credential for an `Authorization: Bearer …` header. Compares hashes in
 * constant time, and walks every credential so timing does not reveal which one
 * matched.
 */
export function createCredentialCheck(
  credentials: readonly AgentCredential[],
): (authorization: string | undefined) => AgentCredential | undefined {
  const table = credentials.map((credential) => {
    if (!/^[0-9a-f]{64}$/.test(credential.tokenSha256))
      throw new TypeError(`Credential for ${credential.agent} needs a hex SHA-256 token hash`)
    return { credential, hash: Buffer.from(credential.tokenSha256, 'hex') }
  })
  return (authorization) => {
    const match = /^Bearer ([\x21-\x7e]{16,512})$/.exec(authorization ?? '')
    if (!match) return undefined
    const presented = createHash('sha256')
      .update(match[1] as string, 'utf8')
      .digest()
    let found: AgentCredential | undefined
    for (const entry of table)
      if (timingSafeEqual(entry.hash, presented) && found === undefined) found = entry.credential
    return found
  }
}
