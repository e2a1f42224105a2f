/**
 * The approvals page (`/approvals`): approvers enroll a passkey through a one-time link,
 * sign in with it, see the holds of their groups in plain words, and approve or reject
 * each with a fresh passkey assertion over the approval's claims. The page never decides:
 * it hands the signed approval to `gate.holds.submit`, which checks it like any other.
 *
 * Every POST must come from the page's own origin (`Origin` header) with a JSON body; the
 * session cookie is HttpOnly and SameSite=Strict.
 */
import {
  type ApproverDirectory,
  approvalClaimsFor,
  type HoldView,
  parseApprovers,
} from '@writ/core'
import {
  type ApprovalVerdict,
  approvalChallenge,
  type ReceiptClaims,
  WritError,
  webAuthnApprovalText,
} from '@writ/verify'
import { base64UrlDecode, base64UrlEncode, utf8Decode } from '@writ/verify/internal'
import type { Context, Hono } from 'hono'
import { deleteCookie, getCookie } from 'hono/cookie'
import { problem, unauthenticated } from '../problem.js'
import type { RouteContext } from '../routes/route-context.js'
import { presentHold } from './hold-presentation.js'
import { registerPageAssets } from './page-assets.js'
import { approverOf, type PageContext, readPageJson, refusal } from './page-context.js'
import type { PasskeyRegistry } from './passkey-registry.js'
import { CEREMONY_SECONDS, createApproverSessions, SESSION_COOKIE } from './sessions.js'
import { enrollmentRoutes, signInRoutes } from './webauthn-ceremonies.js'

/** Options of the approvals page. */
export interface ApprovalsPageOptions {
  /** The page's origin as approvers' browsers see it, e.g. `https://writ.example.com`. */
  readonly origin: string
  /** The WebAuthn relying party id. Default: the origin's host name. */
  readonly rpId?: string
  /** The name authenticators show. Default `Writ approvals`. */
  readonly rpName?: string
  /** The approvers as configured (groups, names, keys). */
  readonly approvers: ApproverDirectory
  /** Registered passkeys and enrollment links. */
  readonly passkeys: PasskeyRegistry
}

/** The WebAuthn relying party id of an origin: its host name. */
export function rpIdOf(origin: string): string {
  return new URL(origin).hostname
}

/**
 * The configured approvers with the passkeys registered on the page added to each
 * approver's own. Group membership comes from the configuration alone.
 */
export function withRegisteredPasskeys(
  base: ApproverDirectory,
  passkeys: PasskeyRegistry,
): ApproverDirectory {
  const registered = passkeys.all()
  if (registered.length === 0) return base
  const document = base.document
  return parseApprovers({
    groups: document.groups,
    approvers: document.approvers.map((entry) => {
      const added = registered
        .filter((passkey) => passkey.approver === entry.id)
        .map(({ id, publicKey, counter }) => ({ id, publicKey, counter }))
      return added.length === 0
        ? entry
        : { ...entry, passkeys: [...(entry.passkeys ?? []), ...added] }
    }),
  })
}

/** Mounts `/approvals` and its API on `app`. */
export function registerApprovalsPage(
  app: Hono,
  context: RouteContext,
  options: ApprovalsPageOptions,
): PageContext {
  const { gate } = context
  const origin = new URL(options.origin).origin
  const page: PageContext = {
    gate,
    origin,
    rpId: options.rpId ?? rpIdOf(origin),
    rpName: options.rpName ?? 'Writ approvals',
    base: options.approvers,
    passkeys: options.passkeys,
    sessions: createApproverSessions(),
    now: () => Math.floor(Date.now() / 1000),
    refreshApprovers() {
      gate.setApprovers(withRegisteredPasskeys(options.approvers, options.passkeys))
    },
  }
  page.refreshApprovers()
  registerPageAssets(app)
  app.use('/approvals/api/*', async (http, next) => {
    if (http.req.method === 'POST' && http.req.header('origin') !== origin) {
      return problem(403, 'UNAUTHENTICATED', 'Requests must come from the approvals page.')
    }
    await next()
  })
  enrollmentRoutes(app, page)
  signInRoutes(app, page)
  holdRoutes(app, page)
  enrollmentLinkRoute(app, page, context)
  return page
}

/** An enrollment link for an approver of the configuration. */
export function enrollmentLink(page: PageContext, approver: string, ttlSeconds?: number) {
  if (page.base.approver(approver) === undefined) {
    throw new WritError('APPROVER_UNKNOWN', `No approver "${approver}" is configured.`)
  }
  const enrollment = page.passkeys.enroll(approver, page.now(), ttlSeconds)
  const url = new URL('/approvals', page.origin)
  url.searchParams.set('enroll', enrollment.token)
  return { approver, url: url.href, exp: enrollment.exp }
}

/** `POST /v1/approvers/:id/enrollments` (operators): a one-time link to register a passkey. */
function enrollmentLinkRoute(app: Hono, page: PageContext, context: RouteContext): void {
  app.post('/v1/approvers/:id/enrollments', (http) => {
    const principal = context.principalOf(http.req.header('authorization'))
    if (principal === undefined) return unauthenticated()
    if (principal.kind !== 'operator') {
      return problem(403, 'OPERATOR_REQUIRED', 'Only an operator may issue enrollment links.')
    }
    try {
      return Response.json(enrollmentLink(page, http.req.param('id')), { status: 201 })
    } catch (error) {
      if (WritError.isInstance(error) && error.code === 'APPROVER_UNKNOWN') {
        return problem(404, error.code, error.message)
      }
      throw error
    }
  })
}

function visibleTo(hold: HoldView, approver: string, page: PageContext): boolean {
  return page.base.inGroup(approver, hold.group) && hold.agent !== approver
}

function holdRoutes(app: Hono, page: PageContext): void {
  app.get('/approvals/api/me', (http) => {
    const approver = approverOf(http, page)
    if (approver === undefined) return problem(401, 'UNAUTHENTICATED', 'Sign in with your passkey.')
    const entry = page.base.approver(approver)
    return Response.json({ id: approver, name: entry?.name ?? approver })
  })
  app.post('/approvals/api/sign-out', (http) => {
    page.sessions.end(getCookie(http, SESSION_COOKIE))
    deleteCookie(http, SESSION_COOKIE, { path: '/approvals' })
    return http.json({ signedOut: true })
  })
  app.get('/approvals/api/holds', async (http) => {
    const approver = approverOf(http, page)
    if (approver === undefined) return problem(401, 'UNAUTHENTICATED', 'Sign in with your passkey.')
    const holds = await page.gate.holds.list({ limit: 200 })
    const now = page.now()
    // Holds that wait for an answer first, then the ones already decided.
    const rank = (hold: HoldView) =>
      hold.state === 'pending' ? 0 : hold.state === 'approved' ? 1 : 2
    const shown = holds
      .filter((hold) => visibleTo(hold, approver, page))
      .sort((left, right) => rank(left) - rank(right))
      .map((hold) => presentHold(hold, page.gate.policy, approver, now))
    return Response.json({ holds: shown, now })
  })
  app.post('/approvals/api/holds/:id/challenge', (http) => answerChallenge(http, page))
  app.post('/approvals/api/holds/:id/answer', (http) => submitAnswer(http, page))
}

function decodeReceiptClaims(token: string): ReceiptClaims {
  return JSON.parse(utf8Decode(base64UrlDecode(token.split('.')[1] ?? ''))) as ReceiptClaims
}

/** Step 1 of an answer: the claims to sign and the WebAuthn options whose challenge binds them. */
async function answerChallenge(http: Context, page: PageContext): Promise<Response> {
  const approver = approverOf(http, page)
  if (approver === undefined) return problem(401, 'UNAUTHENTICATED', 'Sign in with your passkey.')
  try {
    const body = await readPageJson(http)
    const verdict = body['verdict']
    if (verdict !== 'approve' && verdict !== 'reject') {
      return problem(400, 'INPUT_SYNTAX', 'verdict must be "approve" or "reject".')
    }
    const note = typeof body['note'] === 'string' && body['note'] !== '' ? body['note'] : undefined
    const hold = await page.gate.holds.get(http.req.param('id') ?? '')
    if (hold === undefined || !visibleTo(hold, approver, page)) {
      return problem(404, 'HOLD_UNKNOWN', 'No hold with that id waits for you.')
    }
    const claims = approvalClaimsFor(
      decodeReceiptClaims(hold.receipt),
      approver,
      verdict as ApprovalVerdict,
      {
        now: page.now(),
        ttlSeconds: Math.max(60, hold.exp - page.now()),
        ...(note === undefined ? {} : { note: note.slice(0, 1024) }),
      },
    )
    const challenge = base64UrlEncode(approvalChallenge(claims))
    const ceremony = page.sessions.begin({
      kind: 'approve',
      challenge,
      approver,
      claims,
      exp: page.now() + CEREMONY_SECONDS,
    })
    const allowCredentials = page.passkeys
      .all()
      .filter((passkey) => passkey.approver === approver)
      .map((passkey) => ({ id: passkey.id, type: 'public-key' }))
    return Response.json({
      ceremony,
      claims,
      options: {
        challenge,
        rpId: page.rpId,
        allowCredentials,
        userVerification: 'required',
        timeout: 120_000,
      },
    })
  } catch (error) {
    return refusal(error)
  }
}

/** Step 2 of an answer: the passkey's assertion becomes the approval, which the gate checks and records. */
async function submitAnswer(http: Context, page: PageContext): Promise<Response> {
  const approver = approverOf(http, page)
  if (approver === undefined) return problem(401, 'UNAUTHENTICATED', 'Sign in with your passkey.')
  try {
    const body = await readPageJson(http)
    const ceremony = page.sessions.take(String(body['ceremony']), page.now())
    if (ceremony?.kind !== 'approve' || ceremony.approver !== approver) {
      return problem(
        409,
        'APPROVAL_MISMATCH',
        'This answer was not started here, or took too long.',
      )
    }
    const assertion = body['response'] as { id?: unknown; response?: Record<string, unknown> }
    const parts = assertion?.response ?? {}
    const text = webAuthnApprovalText({
      type: 'webauthn',
      claims: ceremony.claims,
      credentialId: String(assertion?.id),
      authenticatorData: String(parts['authenticatorData']),
      clientDataJSON: String(parts['clientDataJSON']),
      signature: String(parts['signature']),
    })
    const hold = await page.gate.holds.submit(text, { hold: http.req.param('id') ?? '' })
    return Response.json(presentHold(hold, page.gate.policy, approver, page.now()))
  } catch (error) {
    return refusal(error)
  }
}
