/**
 * Session history: the decisions made earlier in a session, which conditions read as
 * `history`. The gate reads them from the store before it evaluates, and the store
 * writes each new decision's entry in the same transaction as its receipt, refusing the
 * append (`STORE_CONFLICT`) when the session moved in between, so two decisions of one
 * session are never judged on the same history. Past its bounds a session fails closed.
 */
import { WritError } from '@writ/verify'
import type { HistoryEntry } from './policy/cel.js'

/** The most earlier decisions a condition sees by default. */
export const DEFAULT_SESSION_HISTORY_MAX_ENTRIES = 256

/** How far back (seconds) a session's history reaches by default: 24 hours. */
export const DEFAULT_SESSION_HISTORY_MAX_AGE_SECONDS = 86_400

/** The largest `maxEntries` a gate accepts (conditions iterate at most this many). */
export const MAX_SESSION_HISTORY_ENTRIES = 4096

/** Bounds of the history a gate reads for one decision. */
export interface SessionHistoryOptions {
  /**
   * The most earlier decisions a condition may see. A session holding more within
   * `maxAgeSeconds` is refused (DENY `SESSION_HISTORY_EXCEEDED`) by every rule that reads
   * `history`, never judged on part of it. Default 256, at most 4096.
   */
  readonly maxEntries?: number
  /** How far back the history reaches, in seconds (default 86,400: 24 hours). */
  readonly maxAgeSeconds?: number
}

/** One decision of a session as a store keeps it (`time` in seconds since the epoch). */
export interface StoredSessionEntry {
  /** The receipt's action name. */
  readonly action: string
  /** The receipt's decision. */
  readonly decision: 'PERMIT' | 'DENY' | 'SILENCE'
  /** The receipt's rule, or `null`. */
  readonly rule: string | null
  /** Decision time, seconds since the epoch. */
  readonly time: number
  /** The deciding rule's tags. */
  readonly tags: readonly string[]
}

/** What a store holds of one session now. */
export interface SessionHistoryRead {
  /** Entries with `time >= since`, oldest first: the newest `max + 1` at most. */
  readonly entries: readonly StoredSessionEntry[]
  /** How many entries the session has ever had; the append checks it did not move. */
  readonly version: number
}

/** The session side of a store: reads a session's recent decisions. */
export interface SessionHistoryStore {
  /** The entries of `session` decided at or after `since`: the newest `max + 1` at most. */
  read(session: string, options: { since: number; max: number }): Promise<SessionHistoryRead>
}

/**
 * What an append writes to a session: an entry for the receipt (its action, decision,
 * rule and time) with these tags; with `expect`, the store first refuses
 * (`STORE_CONFLICT`, details `reason: 'session-moved'`) unless the session's version is
 * still `expect`. Entries older than `keepSeconds` may be dropped.
 */
export interface SessionAppend {
  /** The session. */
  readonly id: string
  /** The deciding rule's tags. */
  readonly tags: readonly string[]
  /** The version the decision was judged on; absent when it read no history. */
  readonly expect?: number
  /** How long entries are kept, in seconds. */
  readonly keepSeconds: number
}

/** The bounds a gate runs with, checked. */
export interface SessionBounds {
  readonly maxEntries: number
  readonly maxAgeSeconds: number
}

/** Checks a gate's `sessionHistory` option; a bad bound is `GATE_ERROR`. */
export function sessionBounds(options: SessionHistoryOptions | undefined): SessionBounds {
  const maxEntries = options?.maxEntries ?? DEFAULT_SESSION_HISTORY_MAX_ENTRIES
  const maxAgeSeconds = options?.maxAgeSeconds ?? DEFAULT_SESSION_HISTORY_MAX_AGE_SECONDS
  const option = { details: { option: 'sessionHistory' } }
  if (
    !Number.isSafeInteger(maxEntries) ||
    maxEntries < 1 ||
    maxEntries > MAX_SESSION_HISTORY_ENTRIES
  )
    throw new WritError('GATE_ERROR', 'sessionHistory.maxEntries must be from 1 to 4096.', option)
  if (!Number.isSafeInteger(maxAgeSeconds) || maxAgeSeconds < 1)
    throw new WritError('GATE_ERROR', 'sessionHistory.maxAgeSeconds must be positive.', option)
  return { maxEntries, maxAgeSeconds }
}

/** The history one decision is judged on, or why it cannot be. */
export type SessionView =
  | { readonly kind: 'none' }
  | {
      readonly kind: 'read'
      readonly history: readonly HistoryEntry[]
      readonly version: number
    }
  | { readonly kind: 'refused'; readonly reason: string; readonly rule: string }

/** The view of a request that reads no session history. */
export const NO_SESSION_VIEW: SessionView = Object.freeze({ kind: 'none' })
const NONE = NO_SESSION_VIEW

/**
 * Reads the history `action` is judged on: nothing when no rule for it reads `history`
 * or the request has no session (the policy then refuses it itself); a refusal when the
 * store keeps no sessions or the session is past its bounds.
 */
export async function viewSession(
  policy: { readsHistory?(action: string): string | undefined },
  sessions: SessionHistoryStore | undefined,
  request: { readonly action?: string | undefined; readonly session?: string | undefined },
  bounds: SessionBounds,
  now: number,
): Promise<SessionView> {
  const { action, session } = request
  if (action === undefined || session === undefined) return NONE
  const reader = policy.readsHistory?.(action)
  if (reader === undefined) return NONE
  if (sessions === undefined)
    return { kind: 'refused', reason: 'SESSION_HISTORY_UNAVAILABLE', rule: reader }
  const read = await sessions.read(session, {
    since: now - bounds.maxAgeSeconds,
    max: bounds.maxEntries,
  })
  if (read.entries.length > bounds.maxEntries)
    return { kind: 'refused', reason: 'SESSION_HISTORY_EXCEEDED', rule: reader }
  const history = read.entries.map((entry) =>
    Object.freeze({
      action: entry.action,
      decision: entry.decision,
      rule: entry.rule,
      time: new Date(entry.time * 1000),
      tags: Object.freeze([...entry.tags]),
    }),
  )
  return { kind: 'read', history: Object.freeze(history), version: read.version }
}

/** True for the error an append throws when the session moved since it was read. */
export function isSessionMoved(error: unknown): boolean {
  return (
    error instanceof WritError &&
    error.code === 'STORE_CONFLICT' &&
    (error.details as { reason?: unknown } | undefined)?.reason === 'session-moved'
  )
}

/** The error a store throws when a session moved since the gate read it. */
export function sessionMovedError(session: string): WritError {
  return new WritError(
    'STORE_CONFLICT',
    'The session gained a decision while this one was judged.',
    {
      details: { operation: 'append', reason: 'session-moved', session },
    },
  )
}

/**
 * Runs the decisions of one session one at a time in this process, so they do not race
 * each other to the store (which would refuse all but one); across processes the store's
 * version check still decides.
 */
export function createSessionQueue(): <T>(
  session: string | undefined,
  run: () => Promise<T>,
) => Promise<T> {
  const tails = new Map<string, Promise<unknown>>()
  return (session, run) => {
    if (session === undefined) return run()
    const before = tails.get(session) ?? Promise.resolve()
    const result = before.then(run, run)
    const tail = result.catch(() => undefined)
    tails.set(session, tail)
    void tail.then(() => {
      if (tails.get(session) === tail) tails.delete(session)
    })
    return result
  }
}
