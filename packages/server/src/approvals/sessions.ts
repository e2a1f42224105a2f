/**
 * Who is signed in on the approvals page, and the WebAuthn ceremonies in flight. Both live
 * in memory only: a restart signs approvers out, which costs them one passkey touch. A
 * session is a random token in an HttpOnly, SameSite=Strict cookie; the server keeps only
 * its hash. A ceremony's challenge is used once.
 */
import { createHash, randomBytes } from 'node:crypto'
import type { ApprovalClaims } from '@writ/verify'

/** Name of the session cookie. */
export const SESSION_COOKIE = 'writ_approver'

/** How long a session lasts without use, in seconds. */
export const SESSION_IDLE_SECONDS = 1800

/** How long a ceremony (sign-in, enrollment, approval) may take, in seconds. */
export const CEREMONY_SECONDS = 300

/** A WebAuthn ceremony the server started and will check once. */
export type Ceremony =
  | { readonly kind: 'sign-in'; readonly challenge: string; readonly exp: number }
  | {
      readonly kind: 'enroll'
      readonly challenge: string
      readonly exp: number
      readonly approver: string
      readonly token: string
    }
  | {
      readonly kind: 'approve'
      readonly challenge: string
      readonly exp: number
      readonly approver: string
      readonly claims: ApprovalClaims
    }

/** Sessions and ceremonies of one approvals page. */
export interface ApproverSessions {
  /** Starts a session for `approver`; returns the cookie value. */
  start(approver: string, now: number): string
  /** The approver of a live session (and extends it), or `undefined`. */
  approverOf(cookie: string | undefined, now: number): string | undefined
  /** Ends a session. */
  end(cookie: string | undefined): void
  /** Remembers a ceremony; returns its id. */
  begin(ceremony: Ceremony): string
  /** Takes a ceremony out (once): `undefined` when unknown, used or expired. */
  take(id: string, now: number): Ceremony | undefined
}

const hash = (value: string): string => createHash('sha256').update(value).digest('hex')
const MAX_ENTRIES = 10_000

/** Creates the in-memory sessions of an approvals page. */
export function createApproverSessions(): ApproverSessions {
  const sessions = new Map<string, { approver: string; exp: number }>()
  const ceremonies = new Map<string, Ceremony>()
  const prune = (now: number): void => {
    for (const [key, session] of sessions) if (session.exp <= now) sessions.delete(key)
    for (const [key, ceremony] of ceremonies) if (ceremony.exp <= now) ceremonies.delete(key)
  }
  return {
    start(approver, now) {
      if (sessions.size >= MAX_ENTRIES) prune(now)
      const token = randomBytes(32).toString('base64url')
      sessions.set(hash(token), { approver, exp: now + SESSION_IDLE_SECONDS })
      return token
    },
    approverOf(cookie, now) {
      if (cookie === undefined || cookie.length > 128) return undefined
      const session = sessions.get(hash(cookie))
      if (session === undefined || session.exp <= now) return undefined
      session.exp = now + SESSION_IDLE_SECONDS
      return session.approver
    },
    end(cookie) {
      if (cookie !== undefined) sessions.delete(hash(cookie))
    },
    begin(ceremony) {
      if (ceremonies.size >= MAX_ENTRIES) prune(Math.floor(Date.now() / 1000))
      const id = randomBytes(18).toString('base64url')
      ceremonies.set(id, ceremony)
      return id
    },
    take(id, now) {
      if (typeof id !== 'string') return undefined
      const ceremony = ceremonies.get(id)
      ceremonies.delete(id)
      return ceremony === undefined || ceremony.exp <= now ? undefined : ceremony
    },
  }
}
