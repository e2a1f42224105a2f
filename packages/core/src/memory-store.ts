/**
 * The in-memory store: the whole {@link Store} contract in one process, for tests,
 * embedded gates that keep nothing, and as the reference the conformance suite pins.
 */
import {
  base64UrlDecode,
  type Digest,
  type ReceiptClaims,
  type ReplayCache,
  tokenDigest,
  utf8Decode,
  WritError,
} from '@writ/verify'
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

/**
 * Creates a store that keeps everything in memory. `append` runs its critical
 * section (read head, check limits, `issue`, write) synchronously, so appends to a
 * chain are serialised and limits are checked and reserved atomically across chains.
 * Nothing survives the process: use `@writ/store-sqlite` to keep receipts.
 */
export function createMemoryStore(): Store {
  const chains = new Map<string, Chain>()
  const byJti = new Map<string, string>()
  const byRequest = new Map<string, string | string[]>()
  const reservations = new Map<string, Reservation[]>()
  const checkpoints = new Map<string, StoredCheckpoint>()
  const replayed = new Map<string, number>()
  let closed = false

  function ensureOpen(): void {
    if (closed) throw new WritError('STORE_UNAVAILABLE', 'The store is closed.')
  }

  function position(chainId: string): ChainPosition {
    const chain = chains.get(chainId)
    return { chainId, seq: chain?.tokens.length ?? 0, prev: chain?.head ?? null }
  }

  function prune(key: string, now: number, windowSeconds: number): void {
    const list = reservations.get(key)
    if (list === undefined) return
    const windowStart = now - windowSeconds
    const kept = list.filter((reservation) => reservation.at > windowStart)
    if (kept.length !== list.length) reservations.set(key, kept)
  }

  const replay: ReplayCache = {
    claim(jti, expiresAt) {
      ensureOpen()
      if (replayed.has(jti)) return false
      replayed.set(jti, expiresAt)
      if (replayed.size % 4096 === 0) {
        // Forget ids long expired: a verifier refuses their receipts on `exp` anyway.
        const horizon = Math.floor(Date.now() / 1000) - 3600
        for (const [id, expiry] of replayed) if (expiry < horizon) replayed.delete(id)
      }
      return true
    },
  }

  return {
    async append(
      chainId: string,
      options: AppendOptions,
      issue: (context: AppendContext) => IssuedReceipt,
    ) {
      ensureOpen()
      // From here to the end of the write nothing awaits: the section is atomic.
      const limits = options.limits ?? []
      for (const limit of limits) prune(limit.key, options.now, limit.windowSeconds)
      const next = position(chainId)
      const exceeded = firstExceeded(reservations, limits, options.now)
      const issued = checkIssued(issue({ position: next, exceeded }), chainId, next)
      if (byJti.has(issued.claims.jti)) {
        throw new WritError(
          'STORE_CONFLICT',
          `A receipt with jti ${issued.claims.jti} is already stored.`,
          {
            details: { jti: issued.claims.jti },
          },
        )
      }
      if (issued.reserve && exceeded !== null) {
        throw new WritError(
          'STORE_CONFLICT',
          `The issuer asked to reserve limit ${exceeded.id}, which is exceeded.`,
          {
            details: { limit: exceeded.id },
          },
        )
      }
      const token = issued.token
      let chain = chains.get(chainId)
      if (chain === undefined) {
        chain = { tokens: [], head: null }
        chains.set(chainId, chain)
      }
      chain.tokens.push(token)
      chain.head = tokenDigest(token)
      byJti.set(issued.claims.jti, token)
      const sameRequest = byRequest.get(issued.claims.req)
      if (sameRequest === undefined) byRequest.set(issued.claims.req, token)
      else if (typeof sameRequest === 'string')
        byRequest.set(issued.claims.req, [sameRequest, token])
      else sameRequest.push(token)
      if (issued.reserve) {
        for (const limit of limits) {
          const list = reservations.get(limit.key)
          const reservation = { at: options.now, amount: limit.amount }
          if (list === undefined) reservations.set(limit.key, [reservation])
          else list.push(reservation)
        }
      }
      return Object.freeze({ token, claims: issued.claims })
    },

    async head(chainId) {
      ensureOpen()
      return position(chainId)
    },

    async *receipts(chainId, options = {}) {
      ensureOpen()
      const list = chains.get(chainId)?.tokens ?? []
      const from = Math.max(0, options.fromSeq ?? 0)
      const end =
        options.limit === undefined
          ? list.length
          : Math.min(list.length, from + Math.max(0, options.limit))
      for (let seq = from; seq < end; seq += 1) yield stored(list[seq]!)
    },

    async receipt(jti) {
      ensureOpen()
      const token = byJti.get(jti)
      return token === undefined ? undefined : stored(token)
    },

    async receiptsByRequest(req) {
      ensureOpen()
      const tokens = byRequest.get(req)
      if (tokens === undefined) return []
      return typeof tokens === 'string' ? [stored(tokens)] : tokens.map(stored)
    },

    async chains() {
      ensureOpen()
      return [...new Set([...chains.keys(), ...checkpoints.keys()])].sort()
    },

    async putCheckpoint(checkpoint) {
      ensureOpen()
      const latest = checkpoints.get(checkpoint.chainId)
      // The latest checkpoint is the one covering the most receipts; ties go to the newest.
      if (
        latest === undefined ||
        checkpoint.size > latest.size ||
        (checkpoint.size === latest.size && checkpoint.iat >= latest.iat)
      ) {
        checkpoints.set(checkpoint.chainId, Object.freeze({ ...checkpoint }))
      }
    },

    async latestCheckpoint(chainId) {
      ensureOpen()
      return checkpoints.get(chainId)
    },

    replay,

    async close() {
      closed = true
    },
  }
}
