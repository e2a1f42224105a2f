/** What the approvals page's handlers share, and the helpers they all use. */
import type { ApproverDirectory, LocalGate } from '@writ/core'
import { WritError } from '@writ/verify'
import { utf8Decode } from '@writ/verify/internal'
import type { Context } from 'hono'
import { getCookie, setCookie } from 'hono/cookie'
import { problem } from '../problem.js'
import { readBodyWithin } from '../request-body.js'
import type { PasskeyRegistry } from './passkey-registry.js'
import { type ApproverSessions, SESSION_COOKIE } from './sessions.js'

/** What the page's handlers share. */
export interface PageContext {
  readonly gate: LocalGate
  readonly origin: string
  readonly rpId: string
  readonly rpName: string
  readonly base: ApproverDirectory
  readonly passkeys: PasskeyRegistry
  readonly sessions: ApproverSessions
  readonly now: () => number
  /** Swaps the gate's approvers for the configured ones plus the registered passkeys. */
  refreshApprovers(): void
}

const MAX_PAGE_BODY_BYTES = 64 * 1024

/** Reads a JSON object body from the page. */
export async function readPageJson(http: Context): Promise<Record<string, unknown>> {
  const bytes = await readBodyWithin(http.req.raw, MAX_PAGE_BODY_BYTES)
  const value: unknown = JSON.parse(utf8Decode(bytes))
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new WritError('INPUT_NOT_OBJECT', 'Expected a JSON object.')
  }
  return value as Record<string, unknown>
}

/** Starts a session for `approver` and sets its cookie. */
export function signIn(http: Context, page: PageContext, approver: string): void {
  const token = page.sessions.start(approver, page.now())
  setCookie(http, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'Strict',
    secure: page.origin.startsWith('https:'),
    path: '/approvals',
  })
}

/** The signed-in approver, or `undefined`. */
export function approverOf(http: Context, page: PageContext): string | undefined {
  return page.sessions.approverOf(getCookie(http, SESSION_COOKIE), page.now())
}

/** A refusal the page shows, with Writ's stable code. */
export function refusal(error: unknown): Response {
  if (WritError.isInstance(error)) {
    const status = error.code === 'HOLD_UNKNOWN' ? 404 : error.code.startsWith('STORE_') ? 503 : 409
    return problem(status, error.code, error.message)
  }
  if (error instanceof SyntaxError) return problem(400, 'INPUT_SYNTAX', 'The body is not JSON.')
  throw error
}
