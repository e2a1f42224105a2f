import { createHash, timingSafeEqual } from 'node:crypto'

/** One agent allowed to call the authority: its identity and the SHA-256 of its bearer token. */
export interface AgentCredential {
  /** The identity signed into receipts as `sub`. The request body can never choose it. */
  readonly agent: string
  /** Hex SHA-256 of the bearer token. Tokens themselves are never stored. */
  readonly tokenSha256: string
}

/** Hex SHA-256 of a bearer token, for writing {@link AgentCredential}s. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex')
}

/**
 * Looks up the agent for an `Authorization: Bearer …` header. Compares hashes in
 * constant time, and walks every credential so timing does not reveal which one
 * matched.
 */
export function createCredentialCheck(
  credentials: readonly AgentCredential[],
): (authorization: string | undefined) => string | undefined {
  const table = credentials.map((credential) => {
    if (!/^[0-9a-f]{64}$/.test(credential.tokenSha256))
      throw new TypeError(`Credential for ${credential.agent} needs a hex SHA-256 token hash`)
    return { agent: credential.agent, hash: Buffer.from(credential.tokenSha256, 'hex') }
  })
  return (authorization) => {
    const match = /^Bearer ([\x21-\x7e]{16,512})$/.exec(authorization ?? '')
    if (!match) return undefined
    const presented = createHash('sha256')
      .update(match[1] as string, 'utf8')
      .digest()
    let found: string | undefined
    for (const entry of table)
      if (timingSafeEqual(entry.hash, presented) && found === undefined) found = entry.agent
    return found
  }
}
