/**
 * Session histories kept in memory, for the in-memory store: checked and written inside
 * its synchronous append, so they are atomic with the receipt.
 */
import type { ReceiptClaims } from '@writ/verify'
import {
  MAX_SESSION_HISTORY_ENTRIES,
  type SessionAppend,
  type SessionHistoryStore,
  type StoredSessionEntry,
  sessionMovedError,
} from './session-history.js'

// A session's entries live in `entries` from `first` on, oldest first. While their times
// only grow (the usual case), dropping what fell out of the age and count bounds is a move
// of `first`, not a copy of up to 4,096 entries per decision; the array is compacted once
// its dropped head outweighs the rest. A clock that stepped back makes the times unordered:
// that session then takes the general path (a filter over every entry) from then on.
interface Session {
  version: number
  entries: StoredSessionEntry[]
  first: number
  /** False once an entry was written with a time before the newest one. */
  ordered: boolean
}

/** The entries of `session` kept now, oldest first. */
function live(session: Session): StoredSessionEntry[] {
  return session.first === 0 ? session.entries : session.entries.slice(session.first)
}

/**
 * Drops what no gate may read any more, before an entry at `now` is added: entries
 * older than `horizon`, and all but the newest `MAX_SESSION_HISTORY_ENTRIES` of the rest.
 */
function trim(session: Session, horizon: number, now: number): void {
  const { entries } = session
  const newest = entries[entries.length - 1]
  if (newest !== undefined && now < newest.time) session.ordered = false
  if (!session.ordered) {
    session.entries = live(session)
      .filter((entry) => entry.time >= horizon)
      .slice(-MAX_SESSION_HISTORY_ENTRIES)
    session.first = 0
    return
  }
  let first = session.first
  while (first < entries.length && (entries[first] as StoredSessionEntry).time < horizon) first++
  first = Math.max(first, entries.length - MAX_SESSION_HISTORY_ENTRIES)
  if (first > MAX_SESSION_HISTORY_ENTRIES && first * 2 > entries.length) {
    session.entries = entries.slice(first)
    first = 0
  }
  session.first = first
}

/** The in-memory sessions, with the two steps an append takes on them. */
export interface MemorySessions extends SessionHistoryStore {
  /** Refuses (`STORE_CONFLICT`) when the session moved past `expect`. */
  check(session: SessionAppend | undefined): void
  /** Writes the receipt's entry. */
  write(session: SessionAppend | undefined, claims: ReceiptClaims, now: number): void
}

/** Creates the sessions of one in-memory store (`ensureOpen` throws once it is closed). */
export function createMemorySessions(ensureOpen: () => void): MemorySessions {
  const sessions = new Map<string, Session>()
  return {
    async read(id, { since, max }) {
      ensureOpen()
      const session = sessions.get(id)
      if (session === undefined) return { entries: [], version: 0 }
      if (!session.ordered) {
        const recent = live(session).filter((entry) => entry.time >= since)
        return { entries: recent.slice(-(max + 1)), version: session.version }
      }
      // Ordered: the newest `max + 1` at or after `since` are read from the end.
      const { entries } = session
      const recent: StoredSessionEntry[] = []
      for (let index = entries.length - 1; index >= session.first; index--) {
        const entry = entries[index] as StoredSessionEntry
        if (entry.time < since || recent.length > max) break
        recent.push(entry)
      }
      return { entries: recent.reverse(), version: session.version }
    },
    check(append) {
      if (append?.expect === undefined) return
      const version = sessions.get(append.id)?.version ?? 0
      if (version !== append.expect) throw sessionMovedError(append.id)
    },
    write(append, claims, now) {
      if (append === undefined) return
      let session = sessions.get(append.id)
      if (session === undefined) {
        session = { version: 0, entries: [], first: 0, ordered: true }
        sessions.set(append.id, session)
      }
      session.version += 1
      // Keep what any gate may read: the newest entries within the age bound, one past the count bound.
      trim(session, now - append.keepSeconds, now)
      session.entries.push(
        Object.freeze({
          action: claims.act.name,
          decision: claims.decision,
          rule: claims.rule,
          time: now,
          tags: Object.freeze([...append.tags]),
        }),
      )
    },
  }
}
