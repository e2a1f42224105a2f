import { type ChainApprovalSources, checkPermitApprovals } from './chain-approvals.js'
import { type VerifiedCheckpoint, verifyCheckpoint } from './checkpoint.js'
import { WritError, type WritErrorCode } from './errors.js'
import { decodeJws } from './jws.js'
import { type KeySet, type KeySetInput, toKeySet } from './key-set.js'
import { type VerifiedReceipt, verifyReceipt } from './receipt.js'
import type { ChainLink, Digest, ReceiptClaims } from './types.js'

/** Options of {@link verifyChain}. */
export interface VerifyChainOptions {
  /** Trusted checkpoints (compact JWS) kept by someone other than the authority. */
  readonly checkpoints?: readonly string[]
  /** The chain the receipts must belong to. Default: the first checkpoint's, else the first receipt's. */
  readonly chainId?: string
  /**
   * Where the approvals and holds are, and the published approvers: with it, every PERMIT
   * that names approvals is checked against them (spec section 11), and the first that
   * is not backed ends the walk with its code (`APPROVAL_MISSING`, `APPROVAL_MISMATCH`,
   * `APPROVER_IS_AGENT`, `APPROVAL_QUORUM_UNMET`, …). Without it they are not checked,
   * and the report counts them in `unbackedApprovals`.
   */
  readonly approvals?: ChainApprovalSources
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
  /** PERMITs that name approvals not checked (no `approvals` option was given). */
  readonly unbackedApprovals?: number
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
 * receipt: `CHAIN_GAP`, unless the receipt of that position comes later, a reorder; a lower
 * one, or a reorder, is an inserted or reordered receipt: `CHAIN_PREV_MISMATCH`),
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
  const checkpoints = await verifiedCheckpoints(options.checkpoints ?? [], keySet)
  if (!Array.isArray(checkpoints)) return checkpoints
  const chainId = options.chainId ?? checkpoints[0]?.checkpoint.claims.chain ?? null
  const problem = checkpointOfOtherChain(checkpoints, chainId) ?? findRollback(checkpoints)
  if (problem !== undefined) return problem
  const walk = startWalk(checkpoints, chainId)
  let gap: InvalidChainReport | undefined
  for await (const token of receipts as AsyncIterable<unknown>) {
    if (gap !== undefined) {
      if (seqOf(token) === gap.seq) return reordered(gap)
      continue
    }
    const stop = await stepWalk(walk, token, keySet, options.approvals)
    if (stop === undefined) continue
    if (stop.code !== 'CHAIN_GAP') return stop
    // A seq ahead of its position: deleted receipts, unless the one expected here comes later.
    gap = stop
  }
  return gap ?? endOfWalk(walk)
}

/** The `chain.seq` a token claims, read without verifying it, or undefined. */
function seqOf(token: unknown): number | undefined {
  try {
    const chain = decodeJws(token as string).claims['chain'] as { seq?: unknown } | undefined
    return typeof chain?.seq === 'number' ? chain.seq : undefined
  } catch {
    return undefined
  }
}

/**
 * The receipt expected at a gap's position comes later in the stream: nothing is missing,
 * receipts are out of order (spec section 5: a reorder is a `prev` mismatch).
 */
function reordered(gap: InvalidChainReport): InvalidChainReport {
  const message = `expected seq ${gap.seq} here, found it later: receipts are reordered`
  return { ...gap, code: 'CHAIN_PREV_MISMATCH', message }
}

/** A verified checkpoint and its index in `options.checkpoints`. */
export interface IndexedCheckpoint {
  readonly index: number
  readonly checkpoint: VerifiedCheckpoint
}

/** Step 1: every given checkpoint verifies with the keys, or the first that does not. */
async function verifiedCheckpoints(
  tokens: readonly string[],
  keySet: KeySet,
): Promise<IndexedCheckpoint[] | InvalidChainReport> {
  const checkpoints: IndexedCheckpoint[] = []
  for (const [index, token] of tokens.entries()) {
    try {
      checkpoints.push({ index, checkpoint: await verifyCheckpoint(token, keySet) })
    } catch (error) {
      const code = WritError.isInstance(error) ? error.code : 'MALFORMED'
      const message = `checkpoint ${index} does not verify (${code})`
      return checkpointProblem('CHECKPOINT_INVALID', message, index)
    }
  }
  return checkpoints
}

/** Step 2: the first checkpoint of a chain other than `chainId`, as a problem. */
export function checkpointOfOtherChain(
  checkpoints: readonly IndexedCheckpoint[],
  chainId: string | null,
): InvalidChainReport | undefined {
  const other = checkpoints.find(
    ({ checkpoint }) => chainId !== null && checkpoint.claims.chain !== chainId,
  )
  if (other === undefined) return undefined
  const message = `checkpoint ${other.index} is for chain "${other.checkpoint.claims.chain}", not "${chainId}"`
  return checkpointProblem('CHAIN_ID_MISMATCH', message, other.index)
}

function checkpointProblem(
  code: WritErrorCode,
  message: string,
  index: number,
): InvalidChainReport {
  return { valid: false, code, seq: null, message, verified: 0, checkpoint: index }
}

/** Where the walk over the receipts stands. */
export interface ChainWalk {
  chainId: string | null
  /** How many receipts verified so far: the seq expected next. */
  position: number
  /** The digest of the last verified receipt's token. */
  previous: Digest | null
  /** Checkpoints by size, so the walk compares each as the chain reaches it. */
  readonly pending: readonly IndexedCheckpoint[]
  /** Index in `pending` of the next checkpoint to reach. */
  next: number
  /**
   * The first checkpoint the receipts contradict. The walk goes on after it only to learn
   * whether a later checkpoint vouches for the same receipts: then the authority signed two
   * incompatible histories (CHECKPOINT_ROLLBACK), not just a rewrite (CHECKPOINT_MISMATCH).
   */
  contradicted: InvalidChainReport | undefined
  /** PERMITs naming approvals that were not checked. */
  unbackedApprovals?: number
}

/** Step 3: an empty walk; checkpoints of size 0 are passed already. */
export function startWalk(
  checkpoints: readonly IndexedCheckpoint[],
  chainId: string | null,
): ChainWalk {
  const pending = [...checkpoints].sort(
    (left, right) => left.checkpoint.claims.size - right.checkpoint.claims.size,
  )
  let next = 0
  while (pending[next]?.checkpoint.claims.size === 0) next++
  return { chainId, position: 0, previous: null, pending, next, contradicted: undefined }
}

/** Step 4, per receipt: verify it, check its link, pass the checkpoints it reaches. */
async function stepWalk(
  walk: ChainWalk,
  token: unknown,
  keySet: KeySet,
  approvals: ChainApprovalSources | undefined,
): Promise<InvalidChainReport | undefined> {
  if (typeof token !== 'string') {
    return walk.contradicted ?? bad('MALFORMED', walk.position, 'a receipt is not a string')
  }
  let receipt: VerifiedReceipt
  try {
    receipt = await verifyReceipt(token, keySet)
  } catch (error) {
    return walk.contradicted ?? failure(error, walk.position, walk.position)
  }
  walk.chainId ??= receipt.claims.chain.id
  const broken = linkProblem(receipt.claims.chain, walk)
  if (broken !== undefined) return walk.contradicted ?? broken
  const unbacked = await approvalsProblem(receipt.claims, approvals, keySet, walk)
  if (unbacked !== undefined) return walk.contradicted ?? unbacked
  walk.previous = receipt.digest
  walk.position++
  return passCheckpoints(walk)
}

/** The approvals a PERMIT names, checked when sources are given, else counted. */
async function approvalsProblem(
  claims: ReceiptClaims,
  approvals: ChainApprovalSources | undefined,
  keySet: KeySet,
  walk: ChainWalk,
): Promise<InvalidChainReport | undefined> {
  if (claims.decision !== 'PERMIT' || claims.appr === undefined) return undefined
  if (approvals === undefined) {
    walk.unbackedApprovals = (walk.unbackedApprovals ?? 0) + 1
    return undefined
  }
  try {
    await checkPermitApprovals(claims, approvals, keySet)
    return undefined
  } catch (error) {
    return failure(error, walk.position, walk.position)
  }
}

/** Whether a receipt's chain link continues the walk: chain id, seq, prev. */
export function linkProblem(link: ChainLink, walk: ChainWalk): InvalidChainReport | undefined {
  const { position } = walk
  if (link.id !== walk.chainId) {
    const message = `receipt belongs to chain "${link.id}", not "${walk.chainId}"`
    return bad('CHAIN_ID_MISMATCH', position, message)
  }
  if (link.seq > position) {
    const message = `expected seq ${position}, found ${link.seq}: receipts are missing`
    return bad('CHAIN_GAP', position, message)
  }
  if (link.seq < position) {
    const message = `expected seq ${position}, found ${link.seq}: inserted or reordered`
    return bad('CHAIN_PREV_MISMATCH', position, message)
  }
  if (link.prev !== walk.previous) {
    const message = 'prev does not match the digest of the previous receipt'
    return bad('CHAIN_PREV_MISMATCH', position, message)
  }
  return undefined
}

/**
 * Compares the head with every checkpoint of the size just reached. Returns the problem
 * that ends the walk: a rollback (two checkpoints vouch for different histories), or the
 * contradiction once no checkpoint is left that could turn it into a rollback.
 */
export function passCheckpoints(walk: ChainWalk): InvalidChainReport | undefined {
  const { position } = walk
  for (; walk.pending[walk.next]?.checkpoint.claims.size === position; walk.next++) {
    const { index, checkpoint } = walk.pending[walk.next]!
    const { contradicted } = walk
    if (checkpoint.claims.head !== walk.previous) {
      const message = `the chain's head at size ${position} differs from checkpoint ${index}: history was rewritten`
      walk.contradicted ??= {
        ...bad('CHECKPOINT_MISMATCH', position - 1, message),
        checkpoint: index,
      }
    } else if (contradicted !== undefined) {
      const message = `checkpoint ${contradicted.checkpoint} and checkpoint ${index} vouch for different histories: the chain was rolled back and rewritten`
      return { ...contradicted, code: 'CHECKPOINT_ROLLBACK', message }
    }
  }
  if (walk.contradicted !== undefined && walk.pending[walk.next] === undefined)
    return walk.contradicted
  return undefined
}

/** Step 5: the report once the receipts end; a checkpoint not reached means a truncated tail. */
export function endOfWalk(walk: ChainWalk): ChainReport {
  if (walk.contradicted !== undefined) return walk.contradicted
  const { position } = walk
  const unmet = walk.pending[walk.next]
  if (unmet !== undefined) {
    const message = `the chain has ${position} receipts, checkpoint ${unmet.index} has ${unmet.checkpoint.claims.size}: the tail was truncated`
    return { ...bad('CHECKPOINT_MISMATCH', position, message), checkpoint: unmet.index }
  }
  return {
    valid: true,
    chainId: walk.chainId,
    size: position,
    head: walk.previous,
    ...(walk.unbackedApprovals === undefined ? {} : { unbackedApprovals: walk.unbackedApprovals }),
  }
}

function bad(code: WritErrorCode, seq: number, message: string): InvalidChainReport {
  return { valid: false, code, seq, message, verified: seq }
}

function failure(error: unknown, seq: number | null, verified: number): InvalidChainReport {
  if (WritError.isInstance(error))
    return { valid: false, code: error.code, seq, message: error.message, verified }
  // Anything unexpected is a failure too, never a pass.
  return { valid: false, code: 'MALFORMED', seq, message: String(error), verified }
}

/** Checkpoints that contradict each other: the same size with two heads, or a newer one smaller. */
export function findRollback(
  checkpoints: readonly IndexedCheckpoint[],
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
