/**
 * The columns a store keeps beside each receipt token (decision, jti, req, iat, chain
 * position, digest, and in SQLite the decoded claims), compared with the token itself.
 * Anyone who can write the store can edit the columns without touching the signature,
 * and tools that query the columns (by decision, by request) would then be misled;
 * `writ chain verify` reports such a row as `CHAIN_ROW_MISMATCH`. SQLite and PostgreSQL
 * rows are held to the same comparison.
 */
import { tokenDigest } from '@writ/verify'
import { canonicalize, decodeJws } from '@writ/verify/internal'
import type pg from 'pg'

/** One stored row, as either backend returns it (PostgreSQL returns BIGINT as text). */
interface Row {
  readonly chain_id: string
  readonly seq: number | string
  readonly jti: string
  readonly req: string
  readonly decision: string
  readonly iat: number | string
  readonly digest: string
  readonly prev: string | null
  readonly token: string
  /** The decoded claims as JSON text; SQLite only. */
  readonly claims?: string
}

/** The first row of a chain whose columns disagree with its token, if any. */
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

/** A whole number column: SQLite gives a number, PostgreSQL's BIGINT a decimal string. */
function sameInteger(column: number | string, value: unknown): boolean {
  return typeof value === 'number' && String(column) === String(value)
}

/**
 * The columns of `row` that disagree with its token. A token that cannot be decoded is
 * left to the chain verifier, which reports it.
 */
function differingColumns(row: Row): string[] {
  let claims: Record<string, unknown>
  try {
    claims = decodeJws(row.token).claims as Record<string, unknown>
  } catch {
    return []
  }
  const chain = (claims['chain'] ?? {}) as Record<string, unknown>
  const columns = [
    ['decision', row.decision === claims['decision']],
    ['jti', row.jti === claims['jti']],
    ['req', row.req === claims['req']],
    ['iat', sameInteger(row.iat, claims['iat'])],
    ['chain_id', row.chain_id === chain['id']],
    ['seq', sameInteger(row.seq, chain['seq'])],
    ['prev', row.prev === chain['prev']],
    ['digest', row.digest === tokenDigest(row.token)],
    ...(row.claims === undefined ? [] : [['claims', sameJson(row.claims, claims)] as const]),
  ] as const
  return columns.filter(([, same]) => !same).map(([name]) => name)
}

/**
 * Reads the rows of one chain of a SQLite store in `seq` order, through the store's own
 * connection (one copy of SQLite in the process, whichever driver the store uses), and
 * returns the first whose columns disagree with what its token says.
 */
export async function findRowMismatch(rows: AsyncIterable<Row>): Promise<RowMismatch | undefined> {
  for await (const row of rows) {
    const differing = differingColumns(row)
    if (differing.length > 0) return { seq: Number(row.seq), columns: differing }
  }
  return undefined
}

const PAGE = 1000

/**
 * Reads the rows of `chainId` in a PostgreSQL store (tables in `schema`) in `seq` order,
 * a page at a time, and returns the first whose columns disagree with its token.
 */
export async function findPostgresRowMismatch(
  pool: pg.Pool,
  schema: string,
  chainId: string,
): Promise<RowMismatch | undefined> {
  let after = -1
  for (;;) {
    const page = await pool.query<Row>(
      `SELECT chain_id, seq, jti, req, decision, iat, digest, prev, token FROM ${schema}.receipts WHERE chain_id = $1 AND seq > $2 ORDER BY seq LIMIT ${PAGE}`,
      [chainId, after],
    )
    for (const row of page.rows) {
      const differing = differingColumns(row)
      if (differing.length > 0) return { seq: Number(row.seq), columns: differing }
    }
    if (page.rows.length < PAGE) return undefined
    after = Number(page.rows[page.rows.length - 1]?.seq)
  }
}

/** Chain ids that have receipts in a PostgreSQL store, whether or not a head row names them. */
export async function postgresChains(pool: pg.Pool, schema: string): Promise<string[]> {
  const result = await pool.query<{ chain_id: string }>(
    `SELECT DISTINCT chain_id FROM ${schema}.receipts`,
  )
  return result.rows.map((row) => row.chain_id)
}
