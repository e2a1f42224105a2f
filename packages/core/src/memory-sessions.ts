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

interface Session {
  version: number
  entries: StoredSessionEntry[]
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
      const recent = session.entries.filter((entry) => entry.time >= since)
      return { entries: recent.slice(-(max + 1)), version: session.version }
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
        session = { version: 0, entries: [] }
        sessions.set(append.id, session)
      }
      session.version += 1
      const horizon = now - append.keepSeconds
      // Keep what any gate may read: the newest entries within the age bound, one past the count bound.
      session.entries = session.entries
        .filter((entry) => entry.time >= horizon)
        .slice(-MAX_SESSION_HISTORY_ENTRIES)
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
