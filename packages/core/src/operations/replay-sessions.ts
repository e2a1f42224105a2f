/**
 * Session history for replay: each session's enforced decisions rebuilt in decision
 * order from the retained copies, so a candidate that reads `history` sees what the gate
 * read (and what a shadow candidate saw) when the request was decided. Where the store
 * cannot say which session an earlier decision belonged to, the request is reported as
 * not replayable instead of being judged on a history with a hole in it.
 */
import type { ReceiptClaims } from '@writ/verify'
import type { HistoryEntry } from '../policy/cel.js'
import type { CompiledPolicy } from '../policy/index.js'
import {
  type SessionHistoryOptions,
  type SessionView,
  type StoredSessionEntry,
  sessionBounds,
} from '../session-history.js'
import type { RetainedRequest } from './records.js'

/**
 * Why a recorded request could not be replayed:
 * - `session-not-retained`: its retained copy predates session retention, and the
 *   candidate judges it on its session;
 * - `history-incomplete`: a decision within the history window before it has no usable
 *   retained copy (its action was not retained, or its copy is missing or does not
 *   match), so its session, and therefore this request's history, is unknown.
 */
export type NotReplayableReason = 'session-not-retained' | 'history-incomplete'

const NONE: SessionView = Object.freeze({ kind: 'none' })

/** The sessions of one replay. */
export interface ReplaySessions {
  /** How far back a history reaches, in seconds. */
  readonly maxAgeSeconds: number
  /** The history the candidate judges this request on, or why it cannot be known. */
  view(claims: ReceiptClaims, retained: RetainedRequest): SessionView | NotReplayableReason
  /** Adds a decision to its session (`retained` is its usable copy, if any). */
  record(claims: ReceiptClaims, retained: RetainedRequest | undefined): void
}

/** Sessions rebuilt for `candidate`, within the gate's history bounds. */
export function createReplaySessions(
  candidate: CompiledPolicy,
  options: SessionHistoryOptions | undefined,
): ReplaySessions {
  const { maxEntries, maxAgeSeconds } = sessionBounds(options)
  const sessions = new Map<string, StoredSessionEntry[]>()
  let lastUnknown = Number.NEGATIVE_INFINITY
  const recent = (session: string, since: number): StoredSessionEntry[] => {
    const entries = (sessions.get(session) ?? []).filter((entry) => entry.time >= since)
    if (entries.length === 0) sessions.delete(session)
    else sessions.set(session, entries)
    return entries
  }
  return {
    maxAgeSeconds,
    view(claims, retained) {
      const reader = candidate.readsHistory?.(claims.act.name)
      if (reader === undefined || retained.session === null) return NONE
      if (retained.session === undefined) return 'session-not-retained'
      const since = claims.iat - maxAgeSeconds
      if (lastUnknown >= since) return 'history-incomplete'
      const entries = recent(retained.session, since)
      // Past its bounds the gate refuses the session: so does the replay.
      if (entries.length > maxEntries)
        return { kind: 'refused', reason: 'SESSION_HISTORY_EXCEEDED', rule: reader }
      return { kind: 'read', history: Object.freeze(entries.map(historyEntry)), version: 0 }
    },
    record(claims, retained) {
      if (retained?.session === undefined) {
        lastUnknown = Math.max(lastUnknown, claims.iat)
        return
      }
      if (retained.session === null) return
      const entries = recent(retained.session, claims.iat - maxAgeSeconds)
      entries.push({
        action: claims.act.name,
        decision: claims.decision,
        rule: claims.rule,
        time: claims.iat,
        tags: retained.tags ?? [],
      })
      // The gate never reads more than maxEntries + 1: nor is more kept here.
      if (entries.length > maxEntries + 1) entries.shift()
      sessions.set(retained.session, entries)
    },
  }
}

function historyEntry(entry: StoredSessionEntry): HistoryEntry {
  return Object.freeze({
    action: entry.action,
    decision: entry.decision,
    rule: entry.rule,
    time: new Date(entry.time * 1000),
    tags: Object.freeze([...entry.tags]),
  })
}
