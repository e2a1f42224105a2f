/**
 * The operator's console (`/console`): the decision timeline with a receipt inspector that
 * verifies in the browser, decision rates around policy changes, open holds, and the
 * newest checkpoints with a download of the audit bundle. Read-only: nothing here changes
 * a decision, a hold or the store.
 */
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { exportAuditBundle, type LocalGate } from '@writ/core'
import { type Digest, WritError } from '@writ/verify'
import type { Context, Hono } from 'hono'
import { approverOf, type PageContext } from '../approvals/page-context.js'
import { problem, storeUnavailable } from '../problem.js'
import type { RouteContext } from '../routes/route-context.js'
import { type ConsoleAuth, createConsoleAuth, operatorOnly } from './console-auth.js'
import { decisionPage, parseDecisionQuery } from './console-decisions.js'
import {
  chainList,
  evidence,
  openHolds,
  RATE_WINDOW,
  RATE_WINDOW_MAX,
  rateSeries,
  receiptDetail,
  shadowSummary,
} from './console-views.js'

/** Options of the console. */
export interface ConsoleOptions {
  /** Mark the session cookie `Secure` (default: true unless served on plain `http:`). */
  readonly secureCookie?: boolean
  /** Whether the approvals page is served, so the console links to it. */
  readonly approvalsPage?: boolean
  /**
   * Approvers (ids of the approvals page's configuration) who may open the console by
   * signing in with their passkey on the page, as operators named `passkey:<id>`. Needs
   * the approvals page. Default: none; operators sign in with their token.
   */
  readonly passkeyOperators?: readonly string[]
}

/** The console's routes that answer without an operator (they carry no data). */
export const CONSOLE_PUBLIC_ROUTES = ['/console/api/sign-in-methods'] as const

/** The console's data routes; every one needs an operator. */
export const CONSOLE_API_ROUTES = [
  '/console/api/me',
  '/console/api/decisions',
  '/console/api/receipts/:jti',
  '/console/api/rates',
  '/console/api/holds',
  '/console/api/evidence',
  '/console/api/bundle',
  '/console/api/shadow',
] as const

type Handler = (http: Context, operator: string) => Promise<Response> | Response

/** Mounts `/console`, its files and its API on `app`. */
export function registerConsole(
  app: Hono,
  context: RouteContext,
  options: ConsoleOptions,
  approvals?: PageContext,
  memory?: PolicyMemory,
): void {
  const { gate } = context
  const auth = createConsoleAuth(context, options.secureCookie ?? true)
  auth.register(app)
  registerConsoleAssets(app)
  const passkeys = approvals === undefined ? [] : (options.passkeyOperators ?? [])
  app.get('/console/api/sign-in-methods', () =>
    Response.json({ token: true, passkey: passkeys.length > 0 }),
  )
  if (approvals !== undefined && passkeys.length > 0) passkeyBridge(app, auth, approvals, passkeys)
  const chains = chainList(gate.store, gate.chainId)
  const { policies, remember } = memory ?? policyMemory(gate)
  const handlers: Record<(typeof CONSOLE_API_ROUTES)[number], Handler> = {
    '/console/api/me': (_http, operator) =>
      Response.json({
        operator,
        policy: { id: gate.policy.id, digest: gate.policy.digest },
        approvalsPage: options.approvalsPage === true ? '/approvals' : null,
      }),
    '/console/api/decisions': (http) =>
      guarded(() => decisionPage(gate.store, parseDecisionQuery(http.req.query()), gate.chainId)),
    '/console/api/receipts/:jti': async (http) => {
      const detail = await guarded(() => receiptDetail(gate.store, http.req.param('jti') ?? ''))
      return detail
    },
    '/console/api/rates': (http) => guarded(() => rates(gate, http)),
    '/console/api/holds': () =>
      guarded(async () => ({ holds: await openHolds(gate, Math.floor(Date.now() / 1000)) })),
    '/console/api/evidence': () =>
      guarded(async () => ({ chains: await evidence(gate.store, chains()) })),
    '/console/api/shadow': () =>
      guarded(() => shadowSummary(gate.store, Math.floor(Date.now() / 1000))),
    '/console/api/bundle': (http) => {
      remember()
      return bundle(gate, http, policies)
    },
  }
  for (const route of CONSOLE_API_ROUTES) app.get(route, operatorOnly(auth, handlers[route]))
}

/** The policies the authority has served since it started, by digest (for audit bundles). */
export interface PolicyMemory {
  readonly policies: Map<Digest, object>
  /** Records the policy in force now. */
  remember(): void
}

/** Remembers each policy the gate serves, from now on. */
export function policyMemory(gate: LocalGate): PolicyMemory {
  const policies = new Map<Digest, object>()
  const remember = () => {
    policies.set(gate.policy.digest, gate.policy.document)
  }
  remember()
  return { policies, remember }
}

/**
 * `POST /approvals/api/console-session`: an approver signed in with their passkey on the
 * approvals page (its session cookie is scoped to `/approvals`, so this route sits there)
 * and listed in `passkeyOperators` gets a console session. The approvals page's own
 * middleware already refuses a POST from another origin.
 */
function passkeyBridge(
  app: Hono,
  auth: ConsoleAuth,
  approvals: PageContext,
  operators: readonly string[],
): void {
  app.post('/approvals/api/console-session', (http) => {
    const approver = approverOf(http, approvals)
    if (approver === undefined) return problem(401, 'UNAUTHENTICATED', 'Sign in with your passkey.')
    if (!operators.includes(approver))
      return problem(403, 'OPERATOR_REQUIRED', 'The console is for operators only.')
    auth.startSession(http, `passkey:${approver}`)
    return http.json({ operator: `passkey:${approver}` })
  })
}

/** Runs a read; answers its result as JSON, a bad query as 400, a store failure as 503. */
async function guarded(read: () => Promise<unknown>): Promise<Response> {
  try {
    const result = await read()
    if (result === undefined) return problem(404, 'RECEIPT_MISSING', 'No receipt with that id.')
    return Response.json(result)
  } catch (error) {
    if (WritError.isInstance(error) && error.code === 'INPUT_SYNTAX')
      return problem(400, error.code, error.message)
    return storeUnavailable(error, 'The store is unavailable.')
  }
}

async function rates(gate: LocalGate, http: Context) {
  const query = parseDecisionQuery(http.req.query())
  const number = (name: string, fallback: number, max: number) => {
    const value = Number(http.req.query(name) ?? fallback)
    if (!(value > 0 && value <= max))
      throw new WritError('INPUT_SYNTAX', `${name} is out of range.`)
    return value
  }
  const chain = query.chain ?? gate.chainId
  const around = http.req.query('around')
  return rateSeries(gate.store, chain, {
    window: number('window', RATE_WINDOW, RATE_WINDOW_MAX),
    ...(http.req.query('bucket') === undefined ? {} : { bucket: number('bucket', 60, 86_400) }),
    threshold: number('threshold', 0.1, 1),
    ...(around ? { around } : {}),
  })
}

/** `GET /console/api/bundle?chain=&from=&to=`: the audit bundle of a range, as a download. */
async function bundle(gate: LocalGate, http: Context, policies: Map<Digest, object>) {
  const chainId = http.req.query('chain') ?? ''
  const seq = (name: string) => {
    const value = http.req.query(name)
    return value === undefined || value === '' ? undefined : Number(value)
  }
  try {
    const from = seq('from')
    const to = seq('to')
    const document = await exportAuditBundle({
      store: gate.store,
      chainId,
      keys: await gate.keys(),
      policies: [...policies].map(([digest, body]) => ({ digest, document: body })),
      ...(from === undefined ? {} : { from }),
      ...(to === undefined ? {} : { to }),
    })
    return new Response(JSON.stringify(document), {
      headers: {
        'content-type': 'application/json',
        'content-disposition': `attachment; filename="writ-bundle-${chainId.replace(/[^A-Za-z0-9_.-]/g, '_')}.json"`,
      },
    })
  } catch (error) {
    if (WritError.isInstance(error) && !error.code.startsWith('STORE_'))
      return problem(409, error.code, error.message)
    return storeUnavailable(error, 'The store is unavailable.')
  }
}

const ASSETS = fileURLToPath(new URL('../../assets/', import.meta.url))
const TEXT = 'text/javascript; charset=utf-8'

/** The page's files: no data in them, so they are served to anyone. */
export const CONSOLE_FILES: Readonly<Record<string, { path: () => string; type: string }>> = {
  '/console': { path: () => join(ASSETS, 'console.html'), type: 'text/html; charset=utf-8' },
  '/console/assets/console.js': { path: () => join(ASSETS, 'console.js'), type: TEXT },
  '/console/assets/console.css': {
    path: () => join(ASSETS, 'console.css'),
    type: 'text/css; charset=utf-8',
  },
  '/console/assets/verify.js': { path: () => join(ASSETS, 'console-verify.js'), type: TEXT },
  '/console/assets/uplot.js': {
    path: () => join(uplotDist(), 'uPlot.iife.min.js'),
    type: TEXT,
  },
  '/console/assets/uplot.css': {
    path: () => join(uplotDist(), 'uPlot.min.css'),
    type: 'text/css; charset=utf-8',
  },
}

function uplotDist(): string {
  return dirname(createRequire(import.meta.url).resolve('uplot/dist/uPlot.min.css'))
}

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
}

function registerConsoleAssets(app: Hono): void {
  const cache = new Map<string, string>()
  for (const [route, file] of Object.entries(CONSOLE_FILES)) {
    app.get(route, async () => {
      let body = cache.get(route)
      if (body === undefined) {
        body = await readFile(file.path(), 'utf8')
        cache.set(route, body)
      }
      return new Response(body, { headers: { 'content-type': file.type, ...SECURITY_HEADERS } })
    })
  }
}
