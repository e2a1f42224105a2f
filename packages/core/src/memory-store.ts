/**
 * The in-memory store: the whole {@link Store} contract in one process, for tests,
 * embedded gates that keep nothing, and as the reference the conformance suite pins.
 */
import {
  type Digest,
  type ReceiptClaims,
  type ReplayCache,
  tokenDigest,
  WritError,
} from '@writ/verify'
import { base64UrlDecode, utf8Decode } from '@writ/verify/internal'
import { createMemoryHolds, type MemoryHolds } from './approvals/memory-holds.js'
import { createMemorySessions, type MemorySessions } from './memory-sessions.js'
import { createMemoryRecords } from './operations/memory-records.js'
import type { RetentionRule } from './operations/records.js'
import { type ReceiptQuery, scanReceipts } from './receipt-query.js'
import type { StoreOrder } from './signing-lane.js'
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

// Only the compact tokens are kept: one string per receipt instead of a tree of
// claim objects, so a long-running gate's heap (and its garbage collector) stays
// small. Claims are decoded again on the rare read.
interface Chain {
  readonly tokens: string[]
  head: Digest | null
}

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
  readonly byJti: Map<string, string>
  readonly byRequest: Map<string, string | string[]>
  readonly reservations: Map<string, Reservation[]>
  readonly checkpoints: Map<string, StoredCheckpoint>
  readonly trees: MemoryTrees
  readonly replayed: Map<string, number>
  closed: boolean
}

function ensureOpen(state: MemoryState): void {
  if (state.closed) throw new WritError('STORE_UNAVAILABLE', 'The store is closed.')
}

function positionOf(state: MemoryState, chainId: string): ChainPosition {
  const chain = state.chains.get(chainId)
  return { chainId, seq: chain?.tokens.length ?? 0, prev: chain?.head ?? null }
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

/** Writes an accepted receipt at its chain's head and indexes it by jti and request. */
function write(state: MemoryState, chainId: string, issued: IssuedReceipt): void {
  const token = issued.token
  let chain = state.chains.get(chainId)
  if (chain === undefined) {
    chain = { tokens: [], head: null }
    state.chains.set(chainId, chain)
  }
  state.trees.append(chainId, chain.tokens.length, token)
  chain.tokens.push(token)
  chain.head = tokenDigest(token)
  state.byJti.set(issued.claims.jti, token)
  const sameRequest = state.byRequest.get(issued.claims.req)
  if (sameRequest === undefined) state.byRequest.set(issued.claims.req, token)
  else if (typeof sameRequest === 'string')
    state.byRequest.set(issued.claims.req, [sameRequest, token])
  else sameRequest.push(token)
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
  const tokens = state.chains.get(query.chain)?.tokens ?? []
  return scanReceipts(tokens.length, (seq) => stored(tokens[seq] as string), query)
}

function* receiptsOf(
  state: MemoryState,
  chainId: string,
  options: { readonly fromSeq?: number; readonly limit?: number },
): Generator<StoredReceipt> {
  const list = state.chains.get(chainId)?.tokens ?? []
  const from = Math.max(0, options.fromSeq ?? 0)
  const end =
    options.limit === undefined
      ? list.length
      : Math.min(list.length, from + Math.max(0, options.limit))
  for (let seq = from; seq < end; seq += 1) yield stored(list[seq]!)
}

/** Options of {@link createMemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Keep the arguments and context of the requests these rules name, beside their
   * receipts (off by default; see docs/policy-operations.md for the privacy trade-off).
   */
  readonly retention?: readonly RetentionRule[]
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
    byJti: new Map(),
    byRequest: new Map(),
    reservations: new Map(),
    checkpoints: new Map(),
    trees: createMemoryTrees(),
    replayed: new Map(),
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
        const token = state.byJti.get(jti)
        return token === undefined ? undefined : stored(token)
      }),
    receiptsByRequest: async (req) =>
      open(() => {
        const tokens = state.byRequest.get(req)
        if (tokens === undefined) return []
        return typeof tokens === 'string' ? [stored(tokens)] : tokens.map(stored)
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
