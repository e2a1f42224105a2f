// Filtered reads of a chain, newest first, from the claim columns and their indexes.
import type { ReceiptQuery } from '@writ/core'
import type { Connection } from './connection.js'

// Each filter field and its column: names come from this table only, values are parameters.
const COLUMNS = {
  agent: 'agent',
  action: 'action',
  decision: 'decision',
  rule: 'rule',
  reason: 'reason',
  policy: 'policy',
} as const

/** The tokens of the receipts that pass `query`, newest first. */
export async function queryReceiptTokens(
  { table, withClient }: Connection,
  query: ReceiptQuery,
): Promise<string[]> {
  const values: unknown[] = [query.chain]
  const where = ['chain_id = $1']
  const parameter = (value: unknown) => {
    values.push(value)
    return `$${values.length}`
  }
  for (const [field, column] of Object.entries(COLUMNS)) {
    const value = query.filter[field as keyof typeof COLUMNS]
    if (value === undefined) continue
    where.push(value === null ? `${column} IS NULL` : `${column} = ${parameter(value)}`)
  }
  if (query.filter.since !== undefined) where.push(`iat >= ${parameter(query.filter.since)}`)
  if (query.filter.until !== undefined) where.push(`iat <= ${parameter(query.filter.until)}`)
  if (query.before !== undefined) where.push(`seq < ${parameter(query.before)}`)
  const limit = parameter(Math.max(0, Math.floor(query.limit)))
  const result = await withClient('queryReceipts', (client) =>
    client.query<{ token: string }>(
      `SELECT token FROM ${table('receipts')} WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT ${limit}`,
      values,
    ),
  )
  return result.rows.map((row) => row.token)
}
