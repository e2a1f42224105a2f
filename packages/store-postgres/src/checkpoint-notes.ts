/** Checkpoint notes (spec section 12) with their witnesses' cosignatures, in PostgreSQL. */
import type { StoredCheckpointNote } from '@writ/core'
import type { Connection } from './connection.js'

/** Keeps a checkpoint note, replacing the one of the same chain and size. */
export async function putCheckpointNote(
  { table, withClient }: Connection,
  note: StoredCheckpointNote,
): Promise<void> {
  await withClient('putCheckpointNote', (client) =>
    client.query(
      `INSERT INTO ${table('checkpoint_notes')} (chain_id, size, note) VALUES ($1, $2, $3)
       ON CONFLICT (chain_id, size) DO UPDATE SET note = excluded.note`,
      [note.chainId, note.size, note.note],
    ),
  )
}

/** The checkpoint note of `chainId` with the largest size. */
export async function latestCheckpointNote(
  { table, withClient }: Connection,
  chainId: string,
): Promise<StoredCheckpointNote | undefined> {
  const result = await withClient('latestCheckpointNote', (client) =>
    client.query<{ size: string; note: string }>(
      `SELECT size, note FROM ${table('checkpoint_notes')} WHERE chain_id = $1 ORDER BY size DESC LIMIT 1`,
      [chainId],
    ),
  )
  const row = result.rows[0]
  return row === undefined ? undefined : { chainId, size: Number(row.size), note: row.note }
}
