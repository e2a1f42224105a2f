/**
 * Signing with an asynchronous signer (a key in a token or a KMS). A receipt's `prev` is
 * the digest of the previous receipt, signature included, so the receipts of one chain
 * are signed one after another. The lane signs each receipt before the store's
 * transaction, for the position it predicts, and hands the signed receipt to the store;
 * the store writes it only if the chain is still where the lane predicted, else the
 * receipt is signed again for the position the store reports. Nothing is written unsigned.
 *
 * With a store that applies appends in call order (the in-memory and SQLite stores), the
 * next receipt is signed while the previous ones wait for their group commit, so many
 * appends are outstanding while the signer works. With another store, and for a decision
 * whose limits the store still has to check, the lane waits for the append to settle.
 */
import { tokenDigest, WritError } from '@writ/verify'
import { type AsyncSigner, signBefore, signerUnavailable } from './async-signer.js'
import { applyLimits } from './decide/apply-limits.js'
import { checkKeyValidAt, type ReceiptDraft } from './decide/issue-receipt.js'
import type { Outcome } from './decide/outcome.js'
import { joinSignature, receiptClaims, receiptSigningInput } from './receipt-issuer.js'
import type {
  AppendContext,
  ChainPosition,
  IssuedReceipt,
  LimitCheck,
  Store,
  StoredReceipt,
} from './types.js'

/** Times a receipt is signed again because the chain or the limits moved, before giving up. */
const MAX_ATTEMPTS = 4

/**
 * What a store may say of itself: `appendsInOrder` when the appends to one chain are
 * applied in the order `append` was called (one process, one writer per chain).
 */
export interface StoreOrder {
  readonly appendsInOrder?: boolean
}

/** One decision to sign and append. */
export interface LaneRequest {
  readonly draft: ReceiptDraft
  readonly outcome: Outcome
  readonly limits: readonly LimitCheck[]
  readonly iat: number
  readonly signer: AsyncSigner
  /** Past this time (ms, on the lane's clock) the decision fails with `SIGNER_UNAVAILABLE`. */
  readonly deadline: number
}

/** What the store appended, and the outcome that was signed into it. */
export interface LaneResult {
  readonly stored: StoredReceipt
  readonly signed: Outcome
}

/** The serial signer of one gate's chain. */
export interface SigningLane {
  append(request: LaneRequest): Promise<LaneResult>
}

interface Attempt {
  readonly position: ChainPosition
  readonly exceeded: LimitCheck | null
}

type AttemptResult =
  | { readonly done: true; readonly result: LaneResult }
  | { readonly done: false; readonly retry: AppendContext }

/** A lane for `chainId` of `store`; `now` is the clock deadlines are read on. */
export function createSigningLane(store: Store, chainId: string, now: () => number): SigningLane {
  return new Lane(store, chainId, now)
}

/** Waits for `previous`, at most until `deadline`; resolves with the function that frees the turn. */
function waitTurn(
  previous: Promise<void>,
  release: () => void,
  request: LaneRequest,
  now: () => number,
): Promise<() => void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => {
        // The turn may still come: it is passed straight on.
        void previous.then(release)
        reject(signerUnavailable(request.signer.kid, 'timeout'))
      },
      Math.max(0, request.deadline - now()),
    )
    void previous.then(() => {
      clearTimeout(timer)
      resolve(release)
    })
  })
}

/** The receipt of `request` for `attempt`'s position and limits, signed before `request.deadline`. */
async function signFor(
  request: LaneRequest,
  attempt: Attempt,
  now: () => number,
): Promise<IssuedReceipt> {
  const signed = applyLimits(request.outcome, attempt.exceeded)
  const { position } = attempt
  checkKeyValidAt(request.signer, request.iat)
  const claims = receiptClaims(
    { ...request.draft, ...signed },
    { id: position.chainId, seq: position.seq, prev: position.prev },
  )
  const input = receiptSigningInput(claims, request.signer)
  const signature = await signBefore(request.signer, input.bytes, request.deadline, now)
  return { token: joinSignature(input, signature), claims, reserve: signed.decision === 'PERMIT' }
}

class Lane implements SigningLane {
  readonly #store: Store
  readonly #chainId: string
  readonly #now: () => number
  readonly #pipelined: boolean
  /** The position the next receipt takes, as far as the lane knows; read from the store when unknown. */
  #tail: ChainPosition | undefined
  /** Bumped whenever the tail turns out wrong, so a stale failure does not reset a newer guess. */
  #generation = 0
  #queue: Promise<void> = Promise.resolve()

  constructor(store: Store, chainId: string, now: () => number) {
    this.#store = store
    this.#chainId = chainId
    this.#now = now
    this.#pipelined = (store as Store & StoreOrder).appendsInOrder === true
  }

  async append(request: LaneRequest): Promise<LaneResult> {
    let hint: AppendContext | undefined
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const outcome = await this.#attempt(request, hint)
      if (outcome.done) return outcome.result
      hint = outcome.retry
    }
    throw new WritError('STORE_CONFLICT', 'The chain kept moving while the receipt was signed.', {
      details: { chainId: this.#chainId },
    })
  }

  #forget(seen: number): void {
    if (seen !== this.#generation) return
    this.#generation++
    this.#tail = undefined
  }

  #enter(request: LaneRequest): Promise<() => void> {
    let release!: () => void
    const turn = new Promise<void>((resolve) => {
      release = resolve
    })
    const previous = this.#queue
    this.#queue = previous.then(() => turn)
    return waitTurn(previous, release, request, this.#now)
  }

  /** Signs for the predicted position and hands the receipt to the store; the lane is held meanwhile. */
  async #signAndAppend(
    request: LaneRequest,
    attempt: Attempt,
    seen: number,
    conflict: WritError,
  ): Promise<{ readonly appended: Promise<StoredReceipt> }> {
    const issued = await signFor(request, attempt, this.#now)
    const { position } = attempt
    // A guess made before the lane last learnt it was wrong is not carried forward.
    if (seen === this.#generation) {
      this.#tail = {
        chainId: this.#chainId,
        seq: position.seq + 1,
        prev: tokenDigest(issued.token),
      }
    }
    const appended = this.#store.append(this.#chainId, appendOptions(request), (context) => {
      if (matches(context, attempt)) return issued
      throw Object.assign(conflict, { context })
    })
    // Hold the lane while the store may still answer something the lane did not predict.
    if (!this.#pipelined || request.limits.length > 0) await appended.catch(() => undefined)
    return { appended }
  }

  async #attempt(request: LaneRequest, hint: AppendContext | undefined): Promise<AttemptResult> {
    const release = await this.#enter(request)
    const seen = this.#generation
    const conflict = new WritError(
      'STORE_CONFLICT',
      'The chain moved while the receipt was signed.',
    )
    let appended: Promise<StoredReceipt>
    let attempt: Attempt
    try {
      const position = this.#tail ?? (await this.#store.head(this.#chainId))
      attempt = { position, exceeded: hint?.exceeded ?? null }
      appended = (await this.#signAndAppend(request, attempt, seen, conflict)).appended
    } catch (error) {
      this.#forget(seen)
      throw error
    } finally {
      release()
    }
    try {
      const stored = await appended
      const signed = applyLimits(request.outcome, attempt.exceeded)
      return { done: true, result: { stored, signed } }
    } catch (error) {
      this.#forget(seen)
      const context = contextOf(error, conflict)
      if (context === undefined) throw error
      return { done: false, retry: context }
    }
  }
}

function appendOptions(request: LaneRequest) {
  return request.limits.length === 0
    ? { now: request.iat }
    : { now: request.iat, limits: request.limits }
}

function matches(context: AppendContext, attempt: Attempt): boolean {
  return (
    context.position.chainId === attempt.position.chainId &&
    context.position.seq === attempt.position.seq &&
    context.position.prev === attempt.position.prev &&
    (context.exceeded?.id ?? null) === (attempt.exceeded?.id ?? null) &&
    (context.exceeded?.key ?? null) === (attempt.exceeded?.key ?? null)
  )
}

/** The store's view when `error` is this attempt's own conflict (perhaps wrapped as a cause). */
function contextOf(error: unknown, conflict: WritError): AppendContext | undefined {
  const own = error === conflict || (error as { cause?: unknown } | null)?.cause === conflict
  return own ? (conflict as WritError & { context?: AppendContext }).context : undefined
}
