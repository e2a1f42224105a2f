/**
 * The chain's Merkle tree in SQLite (spec section 12): the hash of every complete subtree in
 * `tree_nodes`, written in the append transaction, and checkpoint notes with the witnesses'
 * cosignatures in `checkpoint_notes`.
 */
import type { StoredCheckpointNote } from '@writ/core'
import {
  leafHash,
  leftSiblingsOf,
  type Subtree,
  subtreesAfterAppend,
  WritError,
} from '@writ/verify'
import type { Database, Statement } from './driver.js'

/** The statements of the tree and its checkpoint notes, prepared once per open file. */
export interface TreeStatements {
  readonly node: Statement<[string, number, number], { hash: Uint8Array }>
  readonly insertNode: Statement<[string, number, number, Uint8Array]>
  readonly putNote: Statement<[string, number, string]>
  readonly latestNote: Statement<[string], { size: number; note: string }>
}

/** Prepares {@link TreeStatements}; the schema must be current. */
export function prepareTreeStatements(database: Database): TreeStatements {
  return {
    node: database.prepare(
      'SELECT hash FROM tree_nodes WHERE chain_id = ? AND level = ? AND idx = ?',
    ),
    insertNode: database.prepare(
      'INSERT INTO tree_nodes (chain_id, level, idx, hash) VALUES (?, ?, ?, ?)',
    ),
    putNote: database.prepare(
      `INSERT INTO checkpoint_notes (chain_id, size, note) VALUES (?, ?, ?)
       ON CONFLICT (chain_id, size) DO UPDATE SET note = excluded.note`,
    ),
    latestNote: database.prepare(
      'SELECT size, note FROM checkpoint_notes WHERE chain_id = ? ORDER BY size DESC LIMIT 1',
    ),
  }
}

/** Reads stored subtree hashes, in order. */
export function readTreeNodes(
  statements: TreeStatements,
  chainId: string,
  subtrees: readonly Subtree[],
): Uint8Array[] {
  return subtrees.map((subtree) => {
    const row = statements.node.get(chainId, subtree.level, subtree.index)
    if (row === undefined) {
      throw new WritError('STORE_UNAVAILABLE', 'The tree has no such node', {
        details: { operation: 'treeNodes', level: subtree.level, index: subtree.index },
      })
    }
    return new Uint8Array(row.hash)
  })
}

/** Adds `token` as leaf `seq` of `chainId`'s tree; runs inside the append transaction. */
export function writeTreeLeaf(
  statements: TreeStatements,
  chainId: string,
  seq: number,
  token: string,
): void {
  const lefts = readTreeNodes(statements, chainId, leftSiblingsOf(seq))
  for (const { subtree, hash } of subtreesAfterAppend(seq, leafHash(token), lefts)) {
    statements.insertNode.run(chainId, subtree.level, subtree.index, hash)
  }
}

/**
 * Builds the trees of the receipts a file held before it had trees, inside the migration's
 * transaction, so every chain can answer proofs from its first receipt.
 */
export function backfillTrees(database: Database): void {
  const statements = prepareTreeStatements(database)
  const page = database.prepare(
    `SELECT chain_id, seq, token FROM receipts WHERE (chain_id, seq) > (?, ?)
     ORDER BY chain_id, seq LIMIT 4096`,
  )
  let after: [string, number] = ['', -1]
  for (;;) {
    // Read a page, then write: SQLite refuses writes while a read is still open.
    const rows = page.all(...after) as { chain_id: string; seq: number; token: string }[]
    for (const row of rows) writeTreeLeaf(statements, row.chain_id, row.seq, row.token)
    const last = rows[rows.length - 1]
    if (last === undefined) return
    after = [last.chain_id, last.seq]
  }
}

/** The newest checkpoint note of `chainId`. */
export function latestNote(
  statements: TreeStatements,
  chainId: string,
): StoredCheckpointNote | undefined {
  const row = statements.latestNote.get(chainId)
  return row === undefined ? undefined : { chainId, size: row.size, note: row.note }
}
