// Filtered reads of a chain, newest first, from the expression indexes on the claims.
import type { ReceiptQuery } from '@writ/core'
import type { Database, Statement } from './driver.js'
import type { ReceiptRow } from './statements.js'

// Each filter field and the expression its index is on (migration 3): the query must use
// the same text for SQLite to pick the index. Names come from here only, values are bound.
const EXPRESSIONS = {
  agent: "json_extract(claims, '$.sub')",
  action: "json_extract(claims, '$.act.name')",
  decision: 'decision',
  rule: "json_extract(claims, '$.rule')",
  reason: "json_extract(claims, '$.reason')",
  policy: "json_extract(claims, '$.policy.digest')",
} as const

/** Prepared statements by their text: one per combination of filter fields used. */
export type QueryCache = Map<string, Statement<unknown[], ReceiptRow>>

/** The rows of the receipts that pass `query`, newest first. */
export function queryReceiptRows(
  database: Database,
  cache: QueryCache,
  query: ReceiptQuery,
): ReceiptRow[] {
  const values: unknown[] = [query.chain]
  const where = ['chain_id = ?']
  for (const [field, expression] of Object.entries(EXPRESSIONS)) {
    const value = query.filter[field as keyof typeof EXPRESSIONS]
    if (value === undefined) continue
    where.push(value === null ? `${expression} IS NULL` : `${expression} = ?`)
    if (value !== null) values.push(value)
  }
  if (query.filter.since !== undefined) {
    where.push('iat >= ?')
    values.push(query.filter.since)
  }
  if (query.filter.until !== undefined) {
    where.push('iat <= ?')
    values.push(query.filter.until)
  }
  if (query.before !== undefined) {
    where.push('seq < ?')
    values.push(query.before)
  }
  values.push(Math.max(0, Math.floor(query.limit)))
  const sql = `SELECT token, claims FROM receipts WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ?`
  let statement = cache.get(sql)
  if (statement === undefined) {
    statement = database.prepare<unknown[], ReceiptRow>(sql)
    cache.set(sql, statement)
  }
  return statement.all(...values)
}
