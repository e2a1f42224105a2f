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
 * whose limits or hold the store still has to check, the lane waits for the append to settle.
 *
 * Held decisions (approve rules) take the same lane as every other decision of the chain:
 * their receipt is chosen for the state the lane predicts (position, limit verdict, the
 * hold's state), so held and plain decisions never make each other sign again.
 */
import { tokenDigest, WritError } from '@writ/verify'
import { type AsyncSigner, signBefore, signerUnavailable } from './async-signer.js'
import { applyLimits } from './decide/apply-limits.js'
import { checkKeyValidAt, type ReceiptDraft } from './decide/issue-receipt.js'
import type { Outcome } from './decide/outcome.js'
import { joinSignature, outcomeClaims, receiptSigningInput } from './receipt-issuer.js'
import type { SessionAppend } from './session-history.js'
import type {
  AppendContext,
  AppendOptions,
  ChainPosition,
  IssuedReceipt,
  LimitCheck,
  Store,
  StoredReceipt,
} from './types.js'

/** How many used holds a lane remembers. */
const USED_HOLDS_KEPT = 1024

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
  /** The session entry to write with the receipt, if any. */
  readonly session?: SessionAppend
  readonly signer: AsyncSigner
  /** Past this time (ms, on the lane's clock) the decision fails with `SIGNER_UNAVAILABLE`. */
  readonly deadline: number
}

/** The outcome and receipt content a held decision signs for one state of the store. */
export type SignedFor = (context: AppendContext) => {
  readonly outcome: Outcome
  readonly draft: ReceiptDraft
}

/** One held decision to sign and append: what it signs depends on what the store will see. */
export interface HeldLaneRequest {
  readonly options: AppendOptions
  readonly signedFor: SignedFor
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
  /** Appends a held decision's receipt, in turn with every other receipt of the chain. */
  appendHeld(request: HeldLaneRequest): Promise<LaneResult>
}

/** Either kind of request, as the lane works on it. */
interface Job {
  readonly options: AppendOptions
  readonly signedFor: SignedFor
  readonly signer: AsyncSigner
  readonly deadline: number
}

/** The state of the store a receipt is signed for, and what was signed for it. */
interface Attempt {
  readonly context: AppendContext
  readonly signed: Outcome
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
  request: Job,
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

/** The receipt `job` chooses for `context`, signed before `job.deadline`. */
async function signFor(
  job: Job,
  context: AppendContext,
  now: () => number,
): Promise<{ readonly issued: IssuedReceipt; readonly signed: Outcome }> {
  const chosen = job.signedFor(context)
  const { position } = context
  checkKeyValidAt(job.signer, chosen.draft.iat)
  const claims = outcomeClaims(chosen.draft, chosen.outcome, {
    id: position.chainId,
    seq: position.seq,
    prev: position.prev,
  })
  const input = receiptSigningInput(claims, job.signer)
  const signature = await signBefore(job.signer, input.bytes, job.deadline, now)
  const issued = {
    token: joinSignature(input, signature),
    claims,
    reserve: chosen.outcome.decision === 'PERMIT',
  }
  return { issued, signed: chosen.outcome }
}

/** A plain decision as a job: the limit verdict the store reports decides the outcome. */
function plainJob(request: LaneRequest): Job {
  return {
    options: appendOptions(request),
    signer: request.signer,
    deadline: request.deadline,
    signedFor: (context) => ({
      outcome: applyLimits(request.outcome, context.exceeded),
      draft: request.draft,
    }),
  }
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
  /** Holds this lane's PERMITs used lately, so a racer for the same hold is signed as refused at once. */
  readonly #used = new Set<string>()

  constructor(store: Store, chainId: string, now: () => number) {
    this.#store = store
    this.#chainId = chainId
    this.#now = now
    this.#pipelined = (store as Store & StoreOrder).appendsInOrder === true
  }

  append(request: LaneRequest): Promise<LaneResult> {
    return this.#run(plainJob(request))
  }

  appendHeld(request: HeldLaneRequest): Promise<LaneResult> {
    return this.#run(request)
  }

  async #run(job: Job): Promise<LaneResult> {
    let hint: AppendContext | undefined
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const outcome = await this.#attempt(job, hint)
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

  #enter(request: Job): Promise<() => void> {
    let release!: () => void
    const turn = new Promise<void>((resolve) => {
      release = resolve
    })
    const previous = this.#queue
    this.#queue = previous.then(() => turn)
    return waitTurn(previous, release, request, this.#now)
  }

  /** Signs for the predicted state and hands the receipt to the store; the lane is held meanwhile. */
  async #signAndAppend(
    job: Job,
    context: AppendContext,
    seen: number,
    conflict: WritError,
  ): Promise<{ readonly appended: Promise<StoredReceipt>; readonly attempt: Attempt }> {
    const { issued, signed } = await signFor(job, context, this.#now)
    const { position } = context
    // A guess made before the lane last learnt it was wrong is not carried forward.
    if (seen === this.#generation) {
      this.#tail = {
        chainId: this.#chainId,
        seq: position.seq + 1,
        prev: tokenDigest(issued.token),
      }
    }
    const appended = this.#store.append(this.#chainId, job.options, (actual) => {
      if (matches(actual, context)) return issued
      throw Object.assign(conflict, { context: actual })
    })
    // Hold the lane while the store may still answer something the lane did not predict.
    if (!this.#pipelined || mayDiffer(job.options)) {
      await appended.then(
        () => this.#remember(job.options, signed),
        () => undefined,
      )
    }
    return { appended, attempt: { context, signed } }
  }

  /** Notes a hold this lane's PERMIT used (a guess for later racers; the store still checks). */
  #remember(options: AppendOptions, signed: Outcome): void {
    const close = options.closeHold
    if (close?.close !== 'used' || signed.decision !== 'PERMIT') return
    this.#used.add(close.id)
    if (this.#used.size > USED_HOLDS_KEPT) {
      const oldest = this.#used.values().next().value
      if (oldest !== undefined) this.#used.delete(oldest)
    }
  }

  /** True when this lane lately wrote the PERMIT that used the hold `options` closes. */
  #usedHere(options: AppendOptions): boolean {
    const id = options.closeHold?.id
    return id !== undefined && this.#used.has(id)
  }

  async #attempt(job: Job, hint: AppendContext | undefined): Promise<AttemptResult> {
    const release = await this.#enter(job)
    const seen = this.#generation
    const conflict = new WritError(
      'STORE_CONFLICT',
      'The chain moved while the receipt was signed.',
    )
    let appended: Promise<StoredReceipt>
    let attempt: Attempt
    try {
      const position = this.#tail ?? (await this.#store.head(this.#chainId))
      const context = predicted(position, job.options, hint, this.#usedHere(job.options))
      ;({ appended, attempt } = await this.#signAndAppend(job, context, seen, conflict))
    } catch (error) {
      this.#forget(seen)
      throw error
    } finally {
      release()
    }
    try {
      const stored = await appended
      return { done: true, result: { stored, signed: attempt.signed } }
    } catch (error) {
      this.#forget(seen)
      const context = contextOf(error, conflict)
      if (context === undefined) throw error
      return { done: false, retry: context }
    }
  }
}

/**
 * The state the store is expected to show: the last one it reported; else all limits
 * fitting and the hold open, or used when this lane wrote the PERMIT that used it.
 */
function predicted(
  position: ChainPosition,
  options: AppendOptions,
  hint: AppendContext | undefined,
  usedHere: boolean,
): AppendContext {
  const exceeded = hint?.exceeded ?? null
  if (options.closeHold === undefined) return { position, exceeded }
  if (hint !== undefined) return { position, exceeded, hold: hint.hold ?? null }
  return { position, exceeded, hold: usedHere ? 'used' : 'open' }
}

/** True when the store may see something other than predicted: limits to check or a hold to close. */
function mayDiffer(options: AppendOptions): boolean {
  return (
    (options.limits?.length ?? 0) > 0 ||
    options.closeHold !== undefined ||
    options.session?.expect !== undefined
  )
}

function appendOptions(request: LaneRequest): AppendOptions {
  return {
    now: request.iat,
    ...(request.limits.length === 0 ? {} : { limits: request.limits }),
    ...(request.session === undefined ? {} : { session: request.session }),
  }
}

function matches(actual: AppendContext, expected: AppendContext): boolean {
  return (
    actual.position.chainId === expected.position.chainId &&
    actual.position.seq === expected.position.seq &&
    actual.position.prev === expected.position.prev &&
    (actual.exceeded?.id ?? null) === (expected.exceeded?.id ?? null) &&
    (actual.exceeded?.key ?? null) === (expected.exceeded?.key ?? null) &&
    (actual.hold ?? undefined) === (expected.hold ?? undefined)
  )
}

/** The store's view when `error` is this attempt's own conflict (perhaps wrapped as a cause). */
function contextOf(error: unknown, conflict: WritError): AppendContext | undefined {
  const own = error === conflict || (error as { cause?: unknown } | null)?.cause === conflict
  return own ? (conflict as WritError & { context?: AppendContext }).context : undefined
}
