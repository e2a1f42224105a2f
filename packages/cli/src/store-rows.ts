/**
 * The columns a SQLite store keeps beside each receipt token (decision, jti, req, iat,
 * chain position, digest and the decoded claims), compared with the token itself.
 * Anyone who can write the file can edit the columns without touching the signature,
 * and tools that query the columns (by decision, by request) would then be misled;
 * `writ chain verify` reports such a row as `CHAIN_ROW_MISMATCH`.
 */
import { canonicalize, decodeJws, tokenDigest } from '@writ/verify'
import Database from 'better-sqlite3'

interface Row {
  readonly chain_id: string
  readonly seq: number
  readonly jti: string
  readonly req: string
  readonly decision: string
  readonly iat: number
  readonly digest: string
  readonly prev: string | null
  readonly token: string
  readonly claims: string
}

/** The first row of `chainId` whose columns disagree with its token, if any. */
export interface RowMismatch {
  readonly seq: number
  /** The columns that disagree, e.g. `["decision", "claims"]`. */
  readonly columns: readonly string[]
}

function sameJson(text: string, value: unknown): boolean {
  try {
    return canonicalize(JSON.parse(text)) === canonicalize(value)
  } catch {
    return false
  }
}

/**
 * Reads the rows of `chainId` in `seq` order, read-only, and returns the first whose
 * columns disagree with what its token says. A token that cannot be decoded is left to
 * the chain verifier, which reports it.
 */
export function findRowMismatch(path: string, chainId: string): RowMismatch | undefined {
  const database = new Database(path, { readonly: true, fileMustExist: true })
  try {
    const rows = database
      .prepare(
        'SELECT chain_id, seq, jti, req, decision, iat, digest, prev, token, claims FROM receipts WHERE chain_id = ? ORDER BY seq',
      )
      .iterate(chainId) as IterableIterator<Row>
    for (const row of rows) {
      let claims: Record<string, unknown>
      try {
        claims = decodeJws(row.token).claims as Record<string, unknown>
      } catch {
        continue
      }
      const chain = (claims['chain'] ?? {}) as Record<string, unknown>
      const columns = [
        ['decision', row.decision === claims['decision']],
        ['jti', row.jti === claims['jti']],
        ['req', row.req === claims['req']],
        ['iat', row.iat === claims['iat']],
        ['chain_id', row.chain_id === chain['id']],
        ['seq', row.seq === chain['seq']],
        ['prev', row.prev === chain['prev']],
        ['digest', row.digest === tokenDigest(row.token)],
        ['claims', sameJson(row.claims, claims)],
      ] as const
      const differing = columns.filter(([, same]) => !same).map(([name]) => name)
      if (differing.length > 0) return { seq: row.seq, columns: differing }
    }
    return undefined
  } finally {
    database.close()
  }
}
