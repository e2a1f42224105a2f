/**
 * The chain's Merkle tree in PostgreSQL (spec section 12): the hash of every complete
 * subtree in `tree_nodes`, written in the append transaction (one read of the left
 * siblings, one insert).
 */
import { type Subtree, WritError } from '@writ/verify'
import type pg from 'pg'

/** Qualifies a table name with the store's schema. */
type Table = (name: string) => string
type Queryable = Pick<pg.PoolClient, 'query'>

/** Reads stored subtree hashes in one query, in the order asked. */
export async function readTreeNodes(
  client: Queryable,
  table: Table,
  chainId: string,
  subtrees: readonly Subtree[],
): Promise<Uint8Array[]> {
  if (subtrees.length === 0) return []
  const result = await client.query<{ level: number; idx: string; hash: Buffer }>(
    `SELECT n.level, n.idx, n.hash FROM ${table('tree_nodes')} n
     JOIN unnest($2::int[], $3::bigint[]) AS wanted(level, idx)
       ON n.level = wanted.level AND n.idx = wanted.idx
     WHERE n.chain_id = $1`,
    [chainId, subtrees.map((subtree) => subtree.level), subtrees.map((subtree) => subtree.index)],
  )
  const found = new Map<string, Uint8Array>()
  for (const row of result.rows) found.set(`${row.level}/${row.idx}`, new Uint8Array(row.hash))
  return subtrees.map((subtree) => {
    const hash = found.get(`${subtree.level}/${subtree.index}`)
    if (hash === undefined) {
      throw new WritError('STORE_UNAVAILABLE', 'The tree has no such node', {
        details: { operation: 'treeNodes', level: subtree.level, index: subtree.index },
      })
    }
    return hash
  })
}

/** How many nodes appending leaf `seq` writes: the leaf and each subtree it completes. */
function nodesWritten(seq: number): number {
  let count = 1
  for (let position = seq; position % 2 === 1; position = (position - 1) / 2) count++
  return count
}

/**
 * Adds `token` as leaf `seq` of `chainId`'s tree, inside the append transaction, in one
 * statement: PostgreSQL hashes the leaf (`sha256(0x00 || token)`) and each parent it
 * completes (`sha256(0x01 || left || right)`, RFC 9162) from the stored left siblings, and
 * inserts them. A left sibling that is missing would leave the tree short: the count of rows
 * written is checked, and the append fails (and rolls back) rather than store a broken tree.
 */
export async function writeTreeLeaf(
  client: Queryable,
  table: Table,
  chainId: string,
  seq: number,
  token: string,
): Promise<void> {
  const result = await client.query(
    `WITH RECURSIVE up(level, idx, hash) AS (
       SELECT 0, $2::bigint, sha256('\\x00'::bytea || convert_to($3, 'UTF8'))
       UNION ALL
       SELECT up.level + 1, (up.idx - 1) / 2, sha256('\\x01'::bytea || n.hash || up.hash)
       FROM up JOIN ${table('tree_nodes')} n
         ON n.chain_id = $1 AND n.level = up.level AND n.idx = up.idx - 1
       WHERE up.idx % 2 = 1
     )
     INSERT INTO ${table('tree_nodes')} (chain_id, level, idx, hash)
     SELECT $1, level, idx, hash FROM up`,
    [chainId, seq, token],
  )
  if (result.rowCount !== nodesWritten(seq)) {
    throw new WritError('STORE_UNAVAILABLE', 'The tree is missing a node it should hold', {
      details: { operation: 'append', chainId, seq },
    })
  }
}

/**
 * Builds the trees of receipts written before the schema had trees, inside the migration's
 * transaction, a page at a time.
 */
export async function backfillTrees(client: Queryable, schema: string): Promise<void> {
  const table: Table = (name) => `${schema}.${name}`
  let after: [string, number] = ['', -1]
  for (;;) {
    const page = await client.query<{ chain_id: string; seq: string; token: string }>(
      `SELECT chain_id, seq, token FROM ${table('receipts')} WHERE (chain_id, seq) > ($1, $2)
       ORDER BY chain_id, seq LIMIT 4096`,
      after,
    )
    for (const row of page.rows) {
      await writeTreeLeaf(client, table, row.chain_id, Number(row.seq), row.token)
    }
    const last = page.rows[page.rows.length - 1]
    if (last === undefined) return
    after = [last.chain_id, Number(last.seq)]
  }
}
