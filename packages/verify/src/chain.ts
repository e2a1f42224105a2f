import { type VerifiedCheckpoint, verifyCheckpoint } from './checkpoint.js'
import { WritError, type WritErrorCode } from './errors.js'
import { type KeySet, type KeySetInput, toKeySet } from './key-set.js'
import { verifyReceipt } from './receipt.js'
import type { Digest } from './types.js'

/** Options of {@link verifyChain}. */
export interface VerifyChainOptions {
  /** Trusted checkpoints (compact JWS) kept by someone other than the authority. */
  readonly checkpoints?: readonly string[]
  /** The chain the receipts must belong to. Default: the first checkpoint's, else the first receipt's. */
  readonly chainId?: string
}

/** A chain that verified from seq 0 to its end, consistent with every checkpoint. */
export interface ValidChainReport {
  readonly valid: true
  /** The chain id (`null` only for an empty chain with no chain id given). */
  readonly chainId: string | null
  /** Number of receipts. */
  readonly size: number
  /** Digest of the last receipt's token, `null` for an empty chain. */
  readonly head: Digest | null
}

/** The first problem found in a chain. */
export interface InvalidChainReport {
  readonly valid: false
  readonly code: WritErrorCode
  /**
   * The first bad position (0-based, the seq expected there), or `null` when the problem is
   * a checkpoint by itself (`CHECKPOINT_INVALID`, `CHECKPOINT_ROLLBACK`, a checkpoint of another chain).
   */
  readonly seq: number | null
  readonly message: string
  /** Receipts verified before the bad position. */
  readonly verified: number
  /** Index in `options.checkpoints` of the checkpoint involved, when one is. */
  readonly checkpoint?: number
}

/** The outcome of {@link verifyChain}. */
export type ChainReport = ValidChainReport | InvalidChainReport

/**
 * Verifies a chain of receipts (spec section 5), streaming: memory does not grow with the
 * chain. Every receipt is verified as {@link verifyReceipt} does, then its position:
 * `chain.id` (`CHAIN_ID_MISMATCH`), `seq` equal to its position (a higher seq means a deleted
 * receipt: `CHAIN_GAP`; a lower one an inserted or reordered one: `CHAIN_PREV_MISMATCH`),
 * `prev` equal to the digest of the previous token (`CHAIN_PREV_MISMATCH`).
 *
 * Checkpoints are verified with the same keys (`CHECKPOINT_INVALID`, the underlying code in
 * the message). Between themselves they must agree: two of the same size with different
 * heads, or a newer one (by `iat`) smaller than an older one, is `CHECKPOINT_ROLLBACK`.
 * Against the receipts: the token digest at each checkpoint's size must equal its head
 * (`CHECKPOINT_MISMATCH`: rewritten history, reported at the checkpoint's last position), and
 * a chain shorter than a checkpoint is `CHECKPOINT_MISMATCH` at the first missing position
 * (truncated tail). When the receipts contradict one checkpoint but a larger checkpoint vouches
 * for them, the authority signed two incompatible histories: `CHECKPOINT_ROLLBACK`, at the
 * position of the contradicted checkpoint.
 *
 * Never throws for a bad chain; it returns the first problem. An error of the receipt source
 * itself (an iterator that throws) propagates.
 *
 * @example
 * ```ts
 * const report = await verifyChain(store.receipts('chain-1'), keys, { checkpoints: [kept] })
 * if (!report.valid) console.error(report.code, 'at seq', report.seq)
 * ```
 */
export async function verifyChain(
  receipts: Iterable<string> | AsyncIterable<string>,
  keys: KeySet | KeySetInput,
  options: VerifyChainOptions = {},
): Promise<ChainReport> {
  let keySet: KeySet
  try {
    keySet = toKeySet(keys)
  } catch (error) {
    return failure(error, null, 0)
  }

  const checkpoints: { index: number; checkpoint: VerifiedCheckpoint }[] = []
  for (const [index, token] of (options.checkpoints ?? []).entries()) {
    try {
      checkpoints.push({ index, checkpoint: await verifyCheckpoint(token, keySet) })
    } catch (error) {
      const code = WritError.isInstance(error) ? error.code : 'MALFORMED'
      return {
        valid: false,
        code: 'CHECKPOINT_INVALID',
        seq: null,
        message: `checkpoint ${index} does not verify (${code})`,
        verified: 0,
        checkpoint: index,
      }
    }
  }

  let chainId: string | null = options.chainId ?? checkpoints[0]?.checkpoint.claims.chain ?? null
  for (const { index, checkpoint } of checkpoints) {
    if (chainId !== null && checkpoint.claims.chain !== chainId) {
      return {
        valid: false,
        code: 'CHAIN_ID_MISMATCH',
        seq: null,
        message: `checkpoint ${index} is for chain "${checkpoint.claims.chain}", not "${chainId}"`,
        verified: 0,
        checkpoint: index,
      }
    }
  }
  const rollback = findRollback(checkpoints)
  if (rollback !== undefined) return rollback

  // Checkpoints by size, so the walk compares each as the chain reaches it.
  const pending = [...checkpoints].sort(
    (left, right) => left.checkpoint.claims.size - right.checkpoint.claims.size,
  )
  let nextCheckpoint = 0
  while (pending[nextCheckpoint]?.checkpoint.claims.size === 0) nextCheckpoint++

  let position = 0
  let previous: Digest | null = null
  // The first checkpoint the receipts contradict. The walk goes on after it only to learn
  // whether a later checkpoint vouches for the same receipts: then the authority signed two
  // incompatible histories (CHECKPOINT_ROLLBACK), not just a rewrite (CHECKPOINT_MISMATCH).
  let contradicted: InvalidChainReport | undefined
  for await (const token of receipts as AsyncIterable<unknown>) {
    if (typeof token !== 'string') {
      return contradicted ?? bad('MALFORMED', position, 'a receipt is not a string')
    }
    let receipt: Awaited<ReturnType<typeof verifyReceipt>>
    try {
      receipt = await verifyReceipt(token, keySet)
    } catch (error) {
      return contradicted ?? failure(error, position, position)
    }
    const link = receipt.claims.chain
    if (chainId === null) chainId = link.id
    if (link.id !== chainId) {
      return (
        contradicted ??
        bad(
          'CHAIN_ID_MISMATCH',
          position,
          `receipt belongs to chain "${link.id}", not "${chainId}"`,
        )
      )
    }
    if (link.seq > position) {
      return (
        contradicted ??
        bad(
          'CHAIN_GAP',
          position,
          `expected seq ${position}, found ${link.seq}: receipts are missing`,
        )
      )
    }
    if (link.seq < position) {
      return (
        contradicted ??
        bad(
          'CHAIN_PREV_MISMATCH',
          position,
          `expected seq ${position}, found ${link.seq}: inserted or reordered`,
        )
      )
    }
    if (link.prev !== previous) {
      return (
        contradicted ??
        bad(
          'CHAIN_PREV_MISMATCH',
          position,
          'prev does not match the digest of the previous receipt',
        )
      )
    }
    previous = receipt.digest
    position++
    while (pending[nextCheckpoint]?.checkpoint.claims.size === position) {
      const { index, checkpoint } = pending[nextCheckpoint]!
      if (checkpoint.claims.head !== previous) {
        contradicted ??= {
          ...bad(
            'CHECKPOINT_MISMATCH',
            position - 1,
            `the chain's head at size ${position} differs from checkpoint ${index}: history was rewritten`,
          ),
          checkpoint: index,
        }
      } else if (contradicted !== undefined) {
        return {
          ...contradicted,
          code: 'CHECKPOINT_ROLLBACK',
          message: `checkpoint ${contradicted.checkpoint} and checkpoint ${index} vouch for different histories: the chain was rolled back and rewritten`,
        }
      }
      nextCheckpoint++
    }
    if (contradicted !== undefined && pending[nextCheckpoint] === undefined) return contradicted
  }
  if (contradicted !== undefined) return contradicted
  const unmet = pending[nextCheckpoint]
  if (unmet !== undefined) {
    return {
      ...bad(
        'CHECKPOINT_MISMATCH',
        position,
        `the chain has ${position} receipts, checkpoint ${unmet.index} has ${unmet.checkpoint.claims.size}: the tail was truncated`,
      ),
      checkpoint: unmet.index,
    }
  }
  return { valid: true, chainId, size: position, head: previous }

  function bad(code: WritErrorCode, seq: number, message: string): InvalidChainReport {
    return { valid: false, code, seq, message, verified: seq }
  }
}

function failure(error: unknown, seq: number | null, verified: number): InvalidChainReport {
  if (WritError.isInstance(error))
    return { valid: false, code: error.code, seq, message: error.message, verified }
  // Anything unexpected is a failure too, never a pass.
  return { valid: false, code: 'MALFORMED', seq, message: String(error), verified }
}

function findRollback(
  checkpoints: readonly { index: number; checkpoint: VerifiedCheckpoint }[],
): InvalidChainReport | undefined {
  for (const first of checkpoints) {
    for (const second of checkpoints) {
      if (first === second) continue
      const a = first.checkpoint.claims
      const b = second.checkpoint.claims
      const forked = a.size === b.size && a.head !== b.head
      const shrank = a.iat < b.iat && b.size < a.size
      if (forked || shrank) {
        const later = a.iat >= b.iat ? first : second
        return {
          valid: false,
          code: 'CHECKPOINT_ROLLBACK',
          seq: null,
          message: forked
            ? `checkpoints ${first.index} and ${second.index} claim different heads for size ${a.size}`
            : `checkpoint ${second.index} is newer than checkpoint ${first.index} but has fewer receipts`,
          verified: 0,
          checkpoint: later.index,
        }
      }
    }
  }
  return undefined
}
