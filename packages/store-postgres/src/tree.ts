/**
 * The chain's Merkle tree in PostgreSQL (spec section 12): the hash of every complete
 * subtree in `tree_nodes`, written in the append transaction (one read of the left
 * siblings, one insert).
 */
import {
  leafHash,
  leftSiblingsOf,
  type Subtree,
  subtreesAfterAppend,
  WritError,
} from '@writ/verify'
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

/** Adds `token` as leaf `seq` of `chainId`'s tree, inside the append transaction. */
export async function writeTreeLeaf(
  client: Queryable,
  table: Table,
  chainId: string,
  seq: number,
  token: string,
): Promise<void> {
  const lefts = await readTreeNodes(client, table, chainId, leftSiblingsOf(seq))
  const nodes = subtreesAfterAppend(seq, leafHash(token), lefts)
  await client.query(
    `INSERT INTO ${table('tree_nodes')} (chain_id, level, idx, hash)
     SELECT $1, * FROM unnest($2::int[], $3::bigint[], $4::bytea[])`,
    [
      chainId,
      nodes.map((node) => node.subtree.level),
      nodes.map((node) => node.subtree.index),
      nodes.map((node) => Buffer.from(node.hash)),
    ],
  )
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
