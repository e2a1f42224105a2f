/**
 * The demo page's approvals API: the holds waiting for the finance approver, her
 * one-click answers, and her published public key (so the page verifies her approvals
 * itself, as it verifies receipts).
 *
 * `GET /api/approvals`, `POST /api/approvals/invoices/:invoice/pay` (the agent's held call),
 * `POST /api/approvals/:hold/approve` and `/reject`,
 * `GET /.well-known/writ/approvers.json`.
 */
import type { ServerResponse } from 'node:http'
import type { Demo } from './demo-types.js'

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  })
  response.end(JSON.stringify(body))
}

/** Answers an approvals request; `false` when `path` is not one of them. */
export async function handleApprovalsRequest(
  demo: Pick<Demo, 'approvals'>,
  method: string,
  path: string,
  response: ServerResponse,
): Promise<boolean> {
  if (method === 'GET' && path === '/.well-known/writ/approvers.json') {
    sendJson(response, 200, demo.approvals.published())
    return true
  }
  if (method === 'GET' && path === '/api/approvals') {
    sendJson(response, 200, {
      approver: { id: demo.approvals.approver.id, name: demo.approvals.approver.name },
      holds: await demo.approvals.list(),
      flows: demo.approvals.flows(),
      now: Math.floor(Date.now() / 1000),
    })
    return true
  }
  const propose = /^\/api\/approvals\/invoices\/(AF-[0-9]{4})\/pay$/.exec(path)
  if (method === 'POST' && propose !== null) {
    try {
      sendJson(response, 200, { hold: await demo.approvals.propose(propose[1] ?? '') })
    } catch (error) {
      sendJson(response, 404, { error: String(error) })
    }
    return true
  }
  const answer = /^\/api\/approvals\/([0-9a-f-]{36})\/(approve|reject)$/.exec(path)
  if (method === 'POST' && answer !== null) {
    const [, hold = '', verdict] = answer
    try {
      const flow = await demo.approvals.answer(hold, verdict === 'approve' ? 'approve' : 'reject')
      sendJson(response, 200, { flow })
    } catch (error) {
      const code = (error as { code?: unknown }).code
      sendJson(response, 409, {
        error: String(error),
        code: typeof code === 'string' ? code : null,
      })
    }
    return true
  }
  return false
}
