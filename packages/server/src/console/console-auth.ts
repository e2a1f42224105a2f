/**
 * Who may use the operator's console. Only operators: an operator's bearer token on each
 * API call, or a session started by signing in with that token on the page (an HttpOnly,
 * SameSite=Strict cookie scoped to `/console`). An agent's token is refused with 403
 * `OPERATOR_REQUIRED`, no credential with 401 `UNAUTHENTICATED`.
 */
import type { Context, Hono, Next } from 'hono'
import { deleteCookie, getCookie, setCookie } from 'hono/cookie'
import { createApproverSessions } from '../approvals/sessions.js'
import { problem } from '../problem.js'
import { readBodyWithin } from '../request-body.js'
import type { RouteContext } from '../routes/route-context.js'

/** Name of the console's session cookie. */
export const CONSOLE_COOKIE = 'writ_console'

/** The console's signed-in operators (in memory: a restart signs them out). */
export interface ConsoleAuth {
  /** The operator behind a request, or the refusal to send. */
  operatorOf(http: Context): string | Response
  /** Mounts sign-in and sign-out. */
  register(app: Hono): void
  /** Starts a console session for `operator` and sets its cookie. */
  startSession(http: Context, operator: string): void
}

const now = (): number => Math.floor(Date.now() / 1000)

/** Creates the console's authentication over the authority's credential check. */
export function createConsoleAuth(context: RouteContext, secureCookie: boolean): ConsoleAuth {
  // The approvals page's session table, reused: a random token in the cookie, its hash here.
  const sessions = createApproverSessions()
  const operatorOf = (http: Context): string | Response => {
    const authorization = http.req.header('authorization')
    if (authorization !== undefined) {
      const principal = context.principalOf(authorization)
      if (principal === undefined) return problem(401, 'UNAUTHENTICATED', 'Sign in as an operator.')
      if (principal.kind !== 'operator')
        return problem(403, 'OPERATOR_REQUIRED', 'The console is for operators only.')
      return principal.operator.name
    }
    const signedIn = sessions.approverOf(getCookie(http, CONSOLE_COOKIE), now())
    return signedIn ?? problem(401, 'UNAUTHENTICATED', 'Sign in as an operator.')
  }
  const sameOrigin = (http: Context): boolean =>
    http.req.header('origin') === new URL(http.req.url).origin
  const startSession = (http: Context, operator: string): void => {
    setCookie(http, CONSOLE_COOKIE, sessions.start(operator, now()), {
      httpOnly: true,
      sameSite: 'Strict',
      secure: secureCookie,
      path: '/console',
    })
  }
  return {
    operatorOf,
    startSession,
    register(app) {
      app.post('/console/api/sign-in', async (http) => {
        if (!sameOrigin(http))
          return problem(403, 'UNAUTHENTICATED', 'Sign in from the console page.')
        const token = await tokenFrom(http)
        if (token === undefined) return problem(400, 'INPUT_SYNTAX', 'Send { "token": "…" }.')
        const principal = context.principalOf(`Bearer ${token}`)
        if (principal === undefined) return problem(401, 'UNAUTHENTICATED', 'Unknown token.')
        if (principal.kind !== 'operator')
          return problem(403, 'OPERATOR_REQUIRED', 'The console is for operators only.')
        startSession(http, principal.operator.name)
        return http.json({ operator: principal.operator.name })
      })
      app.post('/console/api/sign-out', (http) => {
        if (!sameOrigin(http)) return problem(403, 'UNAUTHENTICATED', 'Sign out from the page.')
        sessions.end(getCookie(http, CONSOLE_COOKIE))
        deleteCookie(http, CONSOLE_COOKIE, { path: '/console' })
        return http.json({ signedOut: true })
      })
    },
  }
}

async function tokenFrom(http: Context): Promise<string | undefined> {
  try {
    const bytes = await readBodyWithin(http.req.raw, 4096)
    const body: unknown = JSON.parse(new TextDecoder().decode(bytes))
    const token = (body as { token?: unknown } | null)?.token
    return typeof token === 'string' && token.length <= 512 ? token : undefined
  } catch {
    return undefined
  }
}

/** Wraps a console API handler: it runs only for a signed-in operator. */
export function operatorOnly(
  auth: ConsoleAuth,
  handler: (http: Context, operator: string) => Promise<Response> | Response,
): (http: Context, next: Next) => Promise<Response> {
  return async (http) => {
    const operator = auth.operatorOf(http)
    if (typeof operator !== 'string') return operator
    const response = await handler(http, operator)
    response.headers.set('cache-control', 'no-store')
    return response
  }
}
