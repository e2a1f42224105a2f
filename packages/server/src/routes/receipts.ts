import type { LocalGate, StoredReceipt } from '@writ/core'
import type { Hono } from 'hono'
import type { Principal } from '../credentials.js'
import { problem, rowFault, storeUnavailable, unauthenticated } from '../problem.js'
import { type ReceiptView, type RowFault, viewOf } from '../receipt-view.js'
import type { RouteContext } from './route-context.js'

/**
 * Whether `principal` may read a verified receipt. An agent sees only receipts whose
 * verified `sub` is its own; anything else is indistinguishable from a receipt that
 * does not exist. Operators see all.
 */
export function mayRead(principal: Principal, view: ReceiptView): boolean {
  return principal.kind === 'operator' || view.claims.sub === principal.credential.agent
}

/** A stored row as `principal` may see it: its view, its fault, or nothing. */
async function readable(
  gate: LocalGate,
  principal: Principal,
  stored: StoredReceipt,
): Promise<ReceiptView | RowFault | undefined> {
  const checked = await viewOf(stored, gate.verifyKeys())
  // A token that does not verify names nobody: it is reported to whoever asks.
  if (checked.view === undefined) return checked.fault
  if (!mayRead(principal, checked.view)) return undefined
  return checked.fault ?? checked.view
}

/** `GET /v1/receipts/:jti` and `GET /v1/receipts?request=ID`: an agent its own, operators all. */
export function registerReceiptRoutes(app: Hono, context: RouteContext): void {
  app.get('/v1/receipts/:jti', async (http) => {
    const principal = context.principalOf(http.req.header('authorization'))
    if (principal === undefined) return unauthenticated()
    return receiptById(context.gate, principal, http.req.param('jti'))
  })

  app.get('/v1/receipts', async (http) => {
    const principal = context.principalOf(http.req.header('authorization'))
    if (principal === undefined) return unauthenticated()
    const request = http.req.query('request')
    if (!request) return problem(400, 'INPUT_SYNTAX', 'Query parameter "request" is required.')
    return receiptsByRequest(context.gate, principal, request)
  })
}

async function receiptById(gate: LocalGate, principal: Principal, jti: string): Promise<Response> {
  let stored: StoredReceipt | undefined
  try {
    stored = await gate.store.receipt(jti)
  } catch (error) {
    return storeUnavailable(error, 'The store is unavailable.')
  }
  const result = stored === undefined ? undefined : await readable(gate, principal, stored)
  if (result === undefined) return problem(404, 'RECEIPT_MISSING', 'No receipt with that id.')
  if ('code' in result) return rowFault(result)
  if (result.claims.jti !== jti)
    return rowFault({ code: 'STORE_CORRUPT', detail: 'The store returned another receipt.' })
  return Response.json(result)
}

async function receiptsByRequest(
  gate: LocalGate,
  principal: Principal,
  request: string,
): Promise<Response> {
  let rows: StoredReceipt[]
  try {
    rows = await gate.store.receiptsByRequest(request)
  } catch (error) {
    return storeUnavailable(error, 'The store is unavailable.')
  }
  const receipts: ReceiptView[] = []
  for (const stored of rows) {
    const result = await readable(gate, principal, stored)
    if (result === undefined) continue
    if ('code' in result) return rowFault(result)
    if (result.claims.req !== request)
      return rowFault({ code: 'STORE_CORRUPT', detail: 'The store returned another request.' })
    receipts.push(result)
  }
  return Response.json({ receipts })
}
