/**
 * The in-memory store: the whole {@link Store} contract in one process, for tests,
 * embedded gates that keep nothing, and as the reference the conformance suite pins.
 */
import {
  type Digest,
  digestOf,
  type ReceiptClaims,
  type ReplayCache,
  WritError,
} from '@writ/verify'
import { base64UrlDecode, sha256, utf8Decode } from '@writ/verify/internal'
import { createMemoryHolds, type MemoryHolds } from './approvals/memory-holds.js'
import { createMemorySessions, type MemorySessions } from './memory-sessions.js'
import { createMemoryRecords } from './operations/memory-records.js'
import type { RetentionRule } from './operations/records.js'
import { type ReceiptQuery, scanReceipts } from './receipt-query.js'
import type { StoreOrder } from './signing-lane.js'
import { createTokenLog, type TokenLog } from './token-log.js'
import { createMemoryTrees, type MemoryTrees } from './transparency/memory-tree.js'
import type {
  AppendContext,
  AppendOptions,
  ChainPosition,
  IssuedReceipt,
  LimitCheck,
  Store,
  StoredCheckpoint,
  StoredReceipt,
} from './types.js'

// Only the compact tokens are kept, as bytes outside the JavaScript heap (token-log.ts),
// so a long-running gate's heap, and the work of its garbage collector, does not grow
// with every receipt. Claims are decoded again on the rare read.
interface Chain {
  readonly log: TokenLog
  /** Its index in `chainList`. */
  readonly number: number
  head: Digest | null
  /** With `keep`: the jti and request id of each receipt from `log.first` on, in pairs. */
  readonly ids: string[]
}

// Where a receipt is: its chain's number times 2^32, plus its seq. One number per index
// entry instead of a string or an object.
const CHAIN_STRIDE = 2 ** 32

function stored(token: string): StoredReceipt {
  const claims = JSON.parse(utf8Decode(base64UrlDecode(token.split('.')[1] ?? ''))) as ReceiptClaims
  return Object.freeze({ token, claims })
}

interface Reservation {
  readonly at: number
  readonly amount: number
}

/** The first limit that `limits` would exceed given `reservations` at time `now`, or `null`. */
function firstExceeded(
  reservations: Map<string, Reservation[]>,
  limits: readonly LimitCheck[],
  now: number,
): LimitCheck | null {
  for (const limit of limits) {
    const windowStart = now - limit.windowSeconds
    let used = 0
    for (const reservation of reservations.get(limit.key) ?? []) {
      if (reservation.at > windowStart) used += reservation.amount
    }
    if (used + limit.amount > limit.max) return limit
  }
  return null
}

function checkIssued(issued: unknown, chainId: string, position: ChainPosition): IssuedReceipt {
  const receipt = issued as IssuedReceipt | undefined
  const chain = receipt?.claims?.chain
  if (
    typeof receipt?.token !== 'string' ||
    typeof receipt.claims?.jti !== 'string' ||
    chain === undefined ||
    chain.id !== chainId ||
    chain.seq !== position.seq ||
    chain.prev !== position.prev
  ) {
    throw new WritError(
      'STORE_CONFLICT',
      'The issued receipt does not take the position it was given.',
      {
        details: { chainId, seq: position.seq },
      },
    )
  }
  return receipt
}

/** Everything a memory store keeps. */
interface MemoryState {
  readonly chains: Map<string, Chain>
  /** The chains in the order they were created: a receipt's place names one by its number. */
  readonly chainList: Chain[]
  readonly byJti: Map<string, number>
  readonly byRequest: Map<string, number | number[]>
  readonly reservations: Map<string, Reservation[]>
  readonly checkpoints: Map<string, StoredCheckpoint>
  readonly trees: MemoryTrees
  readonly replayed: Map<string, number>
  /** How many of each chain's newest receipts stay readable. */
  readonly keep: number
  closed: boolean
}

function ensureOpen(state: MemoryState): void {
  if (state.closed) throw new WritError('STORE_UNAVAILABLE', 'The store is closed.')
}

function positionOf(state: MemoryState, chainId: string): ChainPosition {
  const chain = state.chains.get(chainId)
  return { chainId, seq: chain?.log.length ?? 0, prev: chain?.head ?? null }
}

function prune(state: MemoryState, key: string, now: number, windowSeconds: number): void {
  const list = state.reservations.get(key)
  if (list === undefined) return
  const windowStart = now - windowSeconds
  const kept = list.filter((reservation) => reservation.at > windowStart)
  if (kept.length !== list.length) state.reservations.set(key, kept)
}

/** Refuses a receipt whose jti is taken, or that asks to reserve an exceeded limit. */
function checkAcceptable(
  state: MemoryState,
  issued: IssuedReceipt,
  exceeded: LimitCheck | null,
): void {
  const jti = issued.claims.jti
  if (state.byJti.has(jti)) {
    throw new WritError('STORE_CONFLICT', `A receipt with jti ${jti} is already stored.`, {
      details: { jti },
    })
  }
  if (issued.reserve && exceeded !== null) {
    throw new WritError(
      'STORE_CONFLICT',
      `The issuer asked to reserve limit ${exceeded.id}, which is exceeded.`,
      { details: { limit: exceeded.id } },
    )
  }
}

/** The chain `chainId`, created empty when it has no receipt yet. */
function chainOf(state: MemoryState, chainId: string): Chain {
  let chain = state.chains.get(chainId)
  if (chain === undefined) {
    chain = { log: createTokenLog(state.keep), number: state.chainList.length, head: null, ids: [] }
    state.chains.set(chainId, chain)
    state.chainList.push(chain)
  }
  return chain
}

/** Indexes the receipt at `place` under its jti and request id. */
function index(state: MemoryState, claims: ReceiptClaims, place: number): void {
  state.byJti.set(claims.jti, place)
  const sameRequest = state.byRequest.get(claims.req)
  if (sameRequest === undefined) state.byRequest.set(claims.req, place)
  else if (typeof sameRequest === 'number') state.byRequest.set(claims.req, [sameRequest, place])
  else sameRequest.push(place)
}

/** Forgets the index entries of `chain`'s receipts `[from, to)`, which its log dropped. */
function unindex(state: MemoryState, chain: Chain, [from, to]: readonly [number, number]): void {
  for (let seq = from; seq < to; seq++) {
    const place = chain.number * CHAIN_STRIDE + seq
    const jti = chain.ids[(seq - from) * 2] as string
    const req = chain.ids[(seq - from) * 2 + 1] as string
    if (state.byJti.get(jti) === place) state.byJti.delete(jti)
    const same = state.byRequest.get(req)
    if (same === place) state.byRequest.delete(req)
    else if (typeof same === 'object') {
      const kept = same.filter((other) => other !== place)
      if (kept.length === 0) state.byRequest.delete(req)
      else state.byRequest.set(req, kept.length === 1 ? (kept[0] as number) : kept)
    }
  }
  chain.ids.splice(0, (to - from) * 2)
}

/** Writes an accepted receipt at its chain's head and indexes it by jti and request. */
function write(state: MemoryState, chainId: string, issued: IssuedReceipt): void {
  const chain = chainOf(state, chainId)
  const seq = chain.log.length
  // First, so that a token the log refuses leaves the store unchanged.
  const dropped = chain.log.push(issued.token)
  state.trees.append(chainId, seq, sha256(chain.log.leafInput(seq)))
  chain.head = digestOf(chain.log.tokenBytes(seq))
  index(state, issued.claims, chain.number * CHAIN_STRIDE + seq)
  if (state.keep === Number.POSITIVE_INFINITY) return
  chain.ids.push(issued.claims.jti, issued.claims.req)
  if (dropped[1] > dropped[0]) unindex(state, chain, dropped)
}

/** Refuses a read of receipts a store with `keep` no longer holds. */
function checkHeld(chainId: string, log: TokenLog, from: number): void {
  if (from < log.first) {
    throw new WritError(
      'STORE_UNAVAILABLE',
      `This memory store keeps only the newest receipts of chain ${chainId}: those before seq ${log.first} are gone.`,
      { details: { chainId, reason: 'evicted', first: log.first } },
    )
  }
}

/** The receipt at `place` (see {@link CHAIN_STRIDE}). */
function storedAt(state: MemoryState, place: number): StoredReceipt {
  const chain = state.chainList[Math.floor(place / CHAIN_STRIDE)] as Chain
  return stored(chain.log.token(place % CHAIN_STRIDE))
}

function reserve(state: MemoryState, limits: readonly LimitCheck[], now: number): void {
  for (const limit of limits) {
    const list = state.reservations.get(limit.key)
    const reservation = { at: now, amount: limit.amount }
    if (list === undefined) state.reservations.set(limit.key, [reservation])
    else list.push(reservation)
  }
}

/** The critical section of an append: nothing in it awaits, so it is atomic. */
function appendNow(
  state: MemoryState,
  chainId: string,
  options: AppendOptions,
  issue: (context: AppendContext) => IssuedReceipt,
  holds: MemoryHolds,
  sessions: MemorySessions,
): StoredReceipt {
  ensureOpen(state)
  sessions.check(options.session)
  const limits = options.limits ?? []
  for (const limit of limits) prune(state, limit.key, options.now, limit.windowSeconds)
  const next = positionOf(state, chainId)
  const exceeded = firstExceeded(state.reservations, limits, options.now)
  const hold = holds.stateFor(options)
  const context =
    hold === undefined ? { position: next, exceeded } : { position: next, exceeded, hold }
  const issued = checkIssued(issue(context), chainId, next)
  checkAcceptable(state, issued, exceeded)
  holds.check(options, issued)
  write(state, chainId, issued)
  holds.apply(options, issued)
  if (issued.reserve) reserve(state, limits, options.now)
  sessions.write(options.session, issued.claims, options.now)
  return Object.freeze({ token: issued.token, claims: issued.claims })
}

function createReplayCache(state: MemoryState): ReplayCache {
  return {
    claim(jti, expiresAt) {
      ensureOpen(state)
      if (state.replayed.has(jti)) return false
      state.replayed.set(jti, expiresAt)
      if (state.replayed.size % 4096 === 0) {
        // Forget ids long expired: a verifier refuses their receipts on `exp` anyway.
        const horizon = Math.floor(Date.now() / 1000) - 3600
        for (const [id, expiry] of state.replayed) if (expiry < horizon) state.replayed.delete(id)
      }
      return true
    },
  }
}

/** Keeps a checkpoint when it covers the most receipts; ties go to the newest. */
function keepCheckpoint(state: MemoryState, checkpoint: StoredCheckpoint): void {
  const latest = state.checkpoints.get(checkpoint.chainId)
  if (
    latest === undefined ||
    checkpoint.size > latest.size ||
    (checkpoint.size === latest.size && checkpoint.iat >= latest.iat)
  ) {
    state.checkpoints.set(checkpoint.chainId, Object.freeze({ ...checkpoint }))
  }
}

function queryChain(state: MemoryState, query: ReceiptQuery): StoredReceipt[] {
  const log = state.chains.get(query.chain)?.log
  if (log === undefined) return scanReceipts(0, 0, () => stored(''), query)
  // A store with `keep` answers from the receipts it still holds.
  return scanReceipts(log.first, log.length, (seq) => stored(log.token(seq)), query)
}

function* receiptsOf(
  state: MemoryState,
  chainId: string,
  options: { readonly fromSeq?: number; readonly limit?: number },
): Generator<StoredReceipt> {
  const log = state.chains.get(chainId)?.log
  if (log === undefined) return
  const from = Math.max(0, options.fromSeq ?? 0)
  checkHeld(chainId, log, from)
  const end =
    options.limit === undefined
      ? log.length
      : Math.min(log.length, from + Math.max(0, options.limit))
  // Read as it is yielded: an append between two reads is seen, as with the other stores.
  for (let seq = from; seq < Math.min(end, log.length); seq += 1) yield stored(log.token(seq))
}

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * How many of each chain's newest receipts stay readable (at least; whole blocks of
   * about a thousand are dropped at once). Older ones are dropped from memory, so a
   * long-running gate's memory stays flat; the chain, its head and its Merkle tree go on
   * unchanged (checkpoints and proofs still cover every receipt), and reading a dropped
   * receipt is refused with `STORE_UNAVAILABLE` (`details.reason: 'evicted'`) or, by jti
   * or request, finds nothing. Every receipt by default.
   */
  readonly keep?: number
  /**
   * Keep the arguments and context of the requests these rules name, beside their
   * receipts (off by default; see docs/policy-operations.md for the privacy trade-off).
   */
  readonly retention?: readonly RetentionRule[]
}

function keepOf(keep: number | undefined): number {
  if (keep === undefined) return Number.POSITIVE_INFINITY
  if (typeof keep !== 'number' || !(keep >= 1)) {
    throw new WritError('GATE_ERROR', 'keep must be a number of receipts, 1 or more.', {
      details: { option: 'keep' },
    })
  }
  return keep
}

/**
 * Creates a store that keeps everything in memory. `append` runs its critical
 * section (read head, check limits, `issue`, write) synchronously, so appends to a
 * chain are serialised and limits are checked and reserved atomically across chains.
 * Nothing survives the process: use `@writ/store-sqlite` to keep receipts.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): Store {
  const state: MemoryState = {
    chains: new Map(),
    chainList: [],
    byJti: new Map(),
    byRequest: new Map(),
    reservations: new Map(),
    checkpoints: new Map(),
    trees: createMemoryTrees(),
    replayed: new Map(),
    keep: keepOf(options.keep),
    closed: false,
  }
  const holds = createMemoryHolds(() => ensureOpen(state))
  const sessions = createMemorySessions(() => ensureOpen(state))
  // Each method checks that the store is open before anything else.
  const open = <T>(read: () => T): T => {
    ensureOpen(state)
    return read()
  }
  const store: Store & StoreOrder = {
    // Appends run in call order: an asynchronous signer may sign ahead (see signing-lane.ts).
    appendsInOrder: true,
    append: async (chainId, options, issue) =>
      appendNow(state, chainId, options, issue, holds, sessions),
    sessions: { read: (id, bounds) => sessions.read(id, bounds) },
    head: async (chainId) => open(() => positionOf(state, chainId)),
    async *receipts(chainId, options = {}) {
      ensureOpen(state)
      yield* receiptsOf(state, chainId, options)
    },
    queryReceipts: async (query) => open(() => queryChain(state, query)),
    receipt: async (jti) =>
      open(() => {
        const place = state.byJti.get(jti)
        return place === undefined ? undefined : storedAt(state, place)
      }),
    receiptsByRequest: async (req) =>
      open(() => {
        const places = state.byRequest.get(req)
        if (places === undefined) return []
        if (typeof places === 'number') return [storedAt(state, places)]
        return places.map((place) => storedAt(state, place))
      }),
    chains: async () =>
      open(() => [...new Set([...state.chains.keys(), ...state.checkpoints.keys()])].sort()),
    putCheckpoint: async (checkpoint) => open(() => keepCheckpoint(state, checkpoint)),
    latestCheckpoint: async (chainId) => open(() => state.checkpoints.get(chainId)),
    treeNodes: async (chainId, subtrees) => open(() => state.trees.read(chainId, subtrees)),
    putCheckpointNote: async (note) => open(() => state.trees.putNote(note)),
    latestCheckpointNote: async (chainId) => open(() => state.trees.latestNote(chainId)),
    replay: createReplayCache(state),
    holds,
    records: createMemoryRecords(options.retention, () => ensureOpen(state)),
    async close() {
      state.closed = true
    },
  }
  return store
}
