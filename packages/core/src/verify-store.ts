/**
 * Audits one chain of a store with `verifyChain`: the receipts streamed in `seq` order,
 * against the checkpoints kept elsewhere and the last one the store recorded.
 */
import {
  type ChainReport,
  type KeySet,
  type KeySetInput,
  type VerifyChainOptions,
  verifyChain,
} from '@writ/verify'
import type { Store } from './types.js'

/** Options of {@link verifyStore}. */
export interface VerifyStoreOptions extends Omit<VerifyChainOptions, 'chainId'> {
  /** The chain to audit. Default `main`, the chain a gate writes to when none is named. */
  readonly chainId?: string
  /**
   * Also check the receipts against the last checkpoint the store itself recorded
   * (default `true`). It catches a tail cut off without care; only checkpoints kept
   * outside the store (`checkpoints`) catch someone who also edits the checkpoint table.
   */
  readonly storedCheckpoint?: boolean
}

/** The tokens of one chain, in `seq` order, as the store streams them. */
async function* tokensOf(store: Pick<Store, 'receipts'>, chainId: string): AsyncGenerator<string> {
  for await (const stored of store.receipts(chainId)) yield stored.token
}

/**
 * Verifies every receipt of one chain of `store` and their links, streaming (memory does
 * not grow with the chain), and the chain against the given checkpoints: the report of
 * `verifyChain`, `{ valid: true, chainId, size, head }` or the first problem with its
 * code and `seq` (`CHAIN_GAP`, `CHAIN_PREV_MISMATCH`, `CHECKPOINT_MISMATCH`, …).
 *
 * @example
 * ```ts
 * const report = await verifyStore(store, keys, { checkpoints: [checkpointKeptElsewhere] })
 * if (!report.valid) console.error(report.code, 'at seq', report.seq)
 * ```
 */
export async function verifyStore(
  store: Pick<Store, 'receipts' | 'latestCheckpoint'>,
  keys: KeySet | KeySetInput,
  options: VerifyStoreOptions = {},
): Promise<ChainReport> {
  const chainId = options.chainId ?? 'main'
  const checkpoints = [...(options.checkpoints ?? [])]
  if (options.storedCheckpoint !== false) {
    const stored = await store.latestCheckpoint(chainId)
    if (stored !== undefined) checkpoints.push(stored.token)
  }
  return verifyChain(tokensOf(store, chainId), keys, { chainId, checkpoints })
}
