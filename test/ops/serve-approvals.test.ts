/**
 * `writ serve` with approvers: the approvals page is served, an operator gets a one-time
 * enrollment link with `writ approver enroll`, and a held action is POSTed to the webhook,
 * signed with the key read from a 0600 file, and verified by the receiver.
 */
import { once } from 'node:events'
import { writeFileSync } from 'node:fs'
import { createServer, type IncomingHttpHeaders } from 'node:http'
import type { AddressInfo } from 'node:net'
import { generateWebhookKeyPair } from '@writ/core'
import { hashToken } from '@writ/server'
import { verifyWebhook } from '@writ/verify'
import { afterAll, describe, expect, it } from 'vitest'
import { opsFile, opsWorkspace, runWrit, startServe } from './support.js'

opsFile()
const ws = opsWorkspace()
afterAll(() => ws.remove())

const POLICY = `writ: 1
id: payments-with-approvals
rules:
  - id: small
    effect: permit
    actions: [payments.transfer]
    when: args.amount <= 1000
  - id: large
    effect: approve
    actions: [payments.transfer]
    when: args.amount > 1000
    approvers: finance
    description: Transfers above 1000 need a finance approver.
`

describe('writ serve --approvals-origin --approval-webhook', () => {
  it('serves the page, issues enrollment links to operators, and posts each hold signed', async () => {
    const deliveries: { headers: IncomingHttpHeaders; body: string }[] = []
    let delivered = () => {}
    const arrived = new Promise<void>((resolve) => {
      delivered = resolve
    })
    const receiver = createServer((request, response) => {
      const chunks: Buffer[] = []
      request.on('data', (chunk: Buffer) => chunks.push(chunk))
      request.on('end', () => {
        deliveries.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') })
        response.writeHead(204).end()
        delivered()
      })
    })
    receiver.listen(0, '127.0.0.1')
    await once(receiver, 'listening')
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/writ`
    const keys = generateWebhookKeyPair()
    const operatorToken = 'writ_ops_operator_0123456789abcdef'
    writeFileSync(ws.path('policy.yaml'), POLICY, { mode: 0o644 })
    writeFileSync(
      ws.path('agents.json'),
      JSON.stringify({
        agents: [{ agent: 'agent:payer', tokenSha256: hashToken(ws.token) }],
        operators: [{ name: 'ops', tokenSha256: hashToken(operatorToken) }],
      }),
      { mode: 0o644 },
    )
    writeFileSync(
      ws.path('approvers.yaml'),
      'groups: { finance: [alice] }\napprovers:\n  - { id: alice, name: Alice Martin }\n',
      { mode: 0o644 },
    )
    writeFileSync(ws.path('webhook.key'), `${keys.secretKey}\n`, { mode: 0o600 })
    writeFileSync(ws.path('operator.token'), operatorToken, { mode: 0o600 })
    const server = await startServe([
      ...ws.serveArgs(),
      '--approvers',
      ws.path('approvers.yaml'),
      '--approvals-origin',
      'http://localhost:8787',
      '--passkeys',
      ws.path('passkeys.json'),
      '--approval-webhook',
      hook,
      '--approval-webhook-key-file',
      ws.path('webhook.key'),
    ])
    try {
      const page = await fetch(`${server.url}/approvals`)
      expect(page.status).toBe(200)
      expect(await page.text()).toContain('Sign in with a passkey')

      const enrolled = await runWrit([
        'approver',
        'enroll',
        'alice',
        '--server',
        server.url,
        '--token-file',
        ws.path('operator.token'),
      ])
      expect(enrolled.code).toBe(0)
      expect(enrolled.stdout).toMatch(/^http:\/\/localhost:8787\/approvals\?enroll=\S+$/m)

      const decided = await fetch(`${server.url}/v1/decisions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ws.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ action: 'payments.transfer', args: { amount: 5000, to: 'acme' } }),
      })
      const held = (await decided.json()) as {
        decision: string
        reason: string
        hold?: { id: string }
      }
      expect(held).toMatchObject({ decision: 'SILENCE', reason: 'APPROVAL_REQUIRED' })
      // The delivery runs beside the decision: wait for it, then check it as a receiver does.
      await arrived
      const [delivery] = deliveries
      const verified = await verifyWebhook(delivery!.headers, delivery!.body, {
        publicKeys: [keys.publicKey],
      })
      expect(verified.payload).toMatchObject({
        type: 'approval.hold.opened',
        data: {
          hold: held.hold?.id,
          args: { amount: 5000 },
          group: 'finance',
          approvalsUrl: `http://localhost:8787/approvals?hold=${held.hold?.id}`,
        },
      })
    } finally {
      server.child.kill('SIGTERM')
      await server.exited
      receiver.close()
    }
  }, 90_000)
})
