/**
 * Chain positions are never reused: `writ serve` keeps every checkpoint it issues in a
 * directory beside the store, and refuses to start a chain whose store is behind (or
 * disagrees with) the newest checkpoint kept for it.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Store, StoredCheckpoint } from '@writ/core'
import { CliError } from './cli-error.js'

/** Checkpoints kept outside the store, one file per chain: the newest (largest) one. */
export interface CheckpointArchive {
  readonly dir: string
  /** The newest checkpoint kept for `chainId`, or `undefined`. */
  latest(chainId: string): StoredCheckpoint | undefined
  /** Keeps `checkpoint` unless a larger one is already kept for its chain. */
  keep(checkpoint: StoredCheckpoint): void
}

function fileOf(dir: string, chainId: string): string {
  return join(dir, `${encodeURIComponent(chainId)}.checkpoint.json`)
}

/** The archive in `dir` (created 0700 on first use). */
export function checkpointArchive(dir: string): CheckpointArchive {
  const archive: CheckpointArchive = {
    dir,
    latest(chainId) {
      let text: string
      try {
        text = readFileSync(fileOf(dir, chainId), 'utf8')
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
        throw new CliError('IO_ERROR', `cannot read the checkpoint kept in ${dir}`, {
          cause: error,
          details: { path: dir },
        })
      }
      const value = JSON.parse(text) as StoredCheckpoint
      if (
        value.chainId !== chainId ||
        !Number.isSafeInteger(value.size) ||
        value.size < 0 ||
        typeof value.token !== 'string'
      ) {
        throw new CliError(
          'IO_ERROR',
          `the checkpoint kept in ${fileOf(dir, chainId)} is damaged`,
          {
            details: { path: fileOf(dir, chainId) },
          },
        )
      }
      return value
    },
    keep(checkpoint) {
      const previous = archive.latest(checkpoint.chainId)
      if (previous !== undefined && previous.size > checkpoint.size) return
      mkdirSync(dir, { recursive: true, mode: 0o700 })
      const path = fileOf(dir, checkpoint.chainId)
      const temporary = `${path}.${process.pid}.tmp`
      try {
        writeFileSync(temporary, `${JSON.stringify(checkpoint)}\n`, { mode: 0o600 })
        renameSync(temporary, path)
      } catch (error) {
        rmSync(temporary, { force: true })
        throw error
      }
    },
  }
  return archive
}

/**
 * The store as the gate sees it: every checkpoint stored is also kept in `archive`
 * (after the store accepted it, so the store is never behind its own evidence).
 */
export function archivingStore(store: Store, archive: CheckpointArchive): Store {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'putCheckpoint') {
        return async (checkpoint: StoredCheckpoint) => {
          await target.putCheckpoint(checkpoint)
          archive.keep(checkpoint)
        }
      }
      const value = Reflect.get(target, property, target) as unknown
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

function historyExists(message: string, details: Record<string, unknown>): CliError {
  return new CliError('CHAIN_HISTORY_EXISTS', message, { details })
}

/**
 * Refuses (`CHAIN_HISTORY_EXISTS`) to serve `chainId` on a store that is behind the
 * newest checkpoint kept for it (in the archive or the store's own checkpoints), or
 * whose receipts do not lead to that checkpoint's head: serving would sign a second
 * receipt for positions that already have one. With `newChain`, the chain id must have
 * no history at all: no kept checkpoint and no receipt.
 */
export async function guardChain(options: {
  readonly store: Store
  readonly archive: CheckpointArchive | undefined
  readonly chainId: string
  readonly newChain: boolean
}): Promise<void> {
  const { store, archive, chainId } = options
  const head = await store.head(chainId)
  const candidates = [archive?.latest(chainId), await store.latestCheckpoint(chainId)].filter(
    (checkpoint): checkpoint is StoredCheckpoint => checkpoint !== undefined,
  )
  const kept = candidates.sort((a, b) => b.size - a.size)[0]
  if (options.newChain) {
    if (kept !== undefined || head.seq > 0) {
      throw historyExists(
        `--new-chain needs a chain id without history, and chain ${chainId} has ${head.seq} receipts in this store and a kept checkpoint of size ${kept?.size ?? 0}; choose another --chain-id`,
        { chainId, storeSize: head.seq, checkpointSize: kept?.size ?? 0 },
      )
    }
    return
  }
  if (kept === undefined) return
  const where = archive === undefined ? 'the store' : archive.dir
  const refuse = (why: string) =>
    historyExists(
      `chain ${chainId} ${why}; its history is elsewhere (restore that store), or start a new chain with --new-chain --chain-id NEW-ID`,
      { chainId, storeSize: head.seq, checkpointSize: kept.size, checkpoints: where },
    )
  if (head.seq < kept.size)
    throw refuse(
      `has ${head.seq} receipts in this store, but a checkpoint in ${where} covers ${kept.size}`,
    )
  if (kept.size === 0) return
  let linked: string | null | undefined
  if (head.seq === kept.size) linked = head.prev
  else {
    for await (const next of store.receipts(chainId, { fromSeq: kept.size, limit: 1 }))
      linked = next.claims.chain.prev
  }
  if (linked !== kept.head)
    throw refuse(`in this store does not lead to the checkpoint of size ${kept.size} in ${where}`)
}
