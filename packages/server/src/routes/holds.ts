import type { HoldView } from '@writ/core'
import { WritError } from '@writ/verify'
import type { Hono } from 'hono'
import { problem, storeUnavailable, unauthenticated } from '../problem.js'
import { readJsonObject } from './decisions.js'
import type { RouteContext } from './route-context.js'

const HOLD_STATES: ReadonlySet<string> = new Set([
  'pending',
  'approved',
  'rejected',
  'used',
  'expired',
])

/** The HTTP status of an approval refused by the gate. */
function approvalStatus(code: string): number {
  switch (code) {
    case 'HOLD_UNKNOWN':
      return 404
    case 'APPROVAL_USED':
    case 'APPROVAL_DUPLICATE':
    case 'APPROVAL_REJECTED':
    case 'HOLD_CLOSED':
      return 409
    case 'APPROVAL_EXPIRED':
      return 410
    default:
      return code.startsWith('STORE_') ? 503 : 422
  }
}

/**
 * Holds for approval (spec section 11):
 * - `GET /.well-known/writ/approvers.json` (public): approver ids, names, public keys, groups;
 * - `GET /v1/holds?state=…` (operators): holds, newest first;
 * - `GET /v1/holds/:id` (operators, or the agent whose action is held);
 * - `POST /v1/holds/:id/approvals` with `{"approval": "<as signed>"}`: records one approval.
 *   No bearer token is needed: the approver's own signature is the credential, and the
 *   gate checks it, the hold, the group and the agent before recording anything.
 */
export function registerHoldRoutes(app: Hono, context: RouteContext): void {
  const { gate } = context
  app.get('/.well-known/writ/approvers.json', () =>
    Response.json(gate.approvers?.publicDocument() ?? { groups: {}, approvers: [] }),
  )

  app.get('/v1/holds', async (http) => {
    const principal = context.principalOf(http.req.header('authorization'))
    if (principal === undefined) return unauthenticated()
    if (principal.kind !== 'operator')
      return problem(403, 'OPERATOR_REQUIRED', 'Listing holds needs an operator token.')
    const state = http.req.query('state')
    if (state !== undefined && !HOLD_STATES.has(state))
      return problem(400, 'INPUT_SYNTAX', 'state is pending, approved, rejected, used or expired.')
    try {
      const holds = await gate.holds.list(
        state === undefined ? {} : { state: state as HoldView['state'] },
      )
      return Response.json({ holds })
    } catch (error) {
      return storeUnavailable(error, 'The store is unavailable.')
    }
  })

  app.get('/v1/holds/:id', async (http) => {
    const principal = context.principalOf(http.req.header('authorization'))
    if (principal === undefined) return unauthenticated()
    let view: HoldView | undefined
    try {
      view = await gate.holds.get(http.req.param('id'))
    } catch (error) {
      return storeUnavailable(error, 'The store is unavailable.')
    }
    // An agent sees only its own holds; any other is indistinguishable from none.
    if (
      view === undefined ||
      (principal.kind === 'agent' && view.agent !== principal.credential.agent)
    )
      return problem(404, 'HOLD_UNKNOWN', 'No hold with that id.')
    return Response.json(view)
  })

  app.post('/v1/holds/:id/approvals', async (http) => {
    const body = await readJsonObject(http.req.raw, Math.min(context.maxBodyBytes, 256 * 1024))
    if (body instanceof Response) return body
    const approval = body['approval']
    if (typeof approval !== 'string' || Object.keys(body).length !== 1)
      return problem(400, 'INPUT_SYNTAX', 'Send {"approval": "<the approval as signed>"}.')
    try {
      const view = await gate.holds.submit(approval, { hold: http.req.param('id') })
      return Response.json(view)
    } catch (error) {
      const code = WritError.isInstance(error) ? error.code : 'GATE_ERROR'
      const detail = WritError.isInstance(error) ? error.message : 'The approval was not recorded.'
      return problem(approvalStatus(code), code, detail)
    }
  })
}
