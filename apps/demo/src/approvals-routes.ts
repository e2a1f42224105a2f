/**
 * The demo page's approvals API: the holds waiting for the finance approver, her
 * one-click answers, and her published public key (so the page verifies her approvals
 * itself, as it verifies receipts).
 *
 * `GET /api/approvals`, `POST /api/approvals/invoices/:invoice/pay` (the agent's held call),
 * `POST /api/approvals/:hold/approve` and `/reject`,
 * `GET /.well-known/writ/approvers.json`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { BrowserCredential } from './approval-passkeys.js'
import type { Demo } from './demo-types.js'

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
  })
  response.end(JSON.stringify(body))
}

/** One request to the demo's web server. */
export interface DemoRequest {
  readonly method: string
  readonly path: string
  readonly request: IncomingMessage
  readonly response: ServerResponse
}

async function readJson(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > 64 * 1024) throw new RangeError('body too large')
    chunks.push(chunk)
  }
  const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}')
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {}
}

/** Answers an approvals request; `false` when `path` is not one of them. */
export async function handleApprovalsRequest(
  demo: Pick<Demo, 'approvals'>,
  { method, path, request, response }: DemoRequest,
): Promise<boolean> {
  if (method === 'POST' && path.startsWith('/api/approvals/')) {
    const handled = await handlePasskeyRequest(demo, path, request, response)
    if (handled) return true
  }
  if (method === 'GET' && path === '/.well-known/writ/approvers.json') {
    sendJson(response, 200, demo.approvals.published())
    return true
  }
  if (method === 'GET' && path === '/api/approvals') {
    sendJson(response, 200, {
      approver: { id: demo.approvals.approver.id, name: demo.approvals.approver.name },
      passkeys: demo.approvals.published().approvers.flatMap((entry) => entry.passkeys).length,
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

/** Passkeys: Dana registers one, then answers a hold with a fresh assertion over its claims. */
async function handlePasskeyRequest(
  demo: Pick<Demo, 'approvals'>,
  path: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<boolean> {
  const answer = /^\/api\/approvals\/([0-9a-f-]{36})\/passkey-(challenge|answer)$/.exec(path)
  if (
    path !== '/api/approvals/passkeys/options' &&
    path !== '/api/approvals/passkeys' &&
    answer === null
  ) {
    return false
  }
  try {
    const body = await readJson(request)
    if (path === '/api/approvals/passkeys/options') {
      sendJson(response, 200, demo.approvals.passkeyOptions())
    } else if (path === '/api/approvals/passkeys') {
      demo.approvals.registerPasskey(body as unknown as BrowserCredential)
      sendJson(response, 201, { registered: true })
    } else if (answer?.[2] === 'challenge') {
      const verdict = body['verdict'] === 'reject' ? 'reject' : 'approve'
      sendJson(response, 200, await demo.approvals.passkeyChallenge(answer[1] ?? '', verdict))
    } else {
      const flow = await demo.approvals.answerWithPasskey(
        answer?.[1] ?? '',
        body as unknown as BrowserCredential,
      )
      sendJson(response, 200, { flow })
    }
  } catch (error) {
    const code = (error as { code?: unknown }).code
    sendJson(response, 409, { error: String(error), code: typeof code === 'string' ? code : null })
  }
  return true
}
