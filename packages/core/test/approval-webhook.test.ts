import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  createApprovalWebhook,
  generateWebhookKeyPair,
  type HoldNotice,
  signWebhook,
  webhookPublicKey,
} from '@writ/core'
import { createApprovalsFixture } from '@writ/core/testing'
import { verifyWebhook, WritError } from '@writ/verify'
import { afterEach, describe, expect, it } from 'vitest'

interface Delivery {
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

/** A receiver on 127.0.0.1 that answers each POST with the next status of `statuses`. */
async function startReceiver(statuses: number[] = []): Promise<{
  url: string
  deliveries: Delivery[]
  server: Server
}> {
  const deliveries: Delivery[] = []
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      deliveries.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') })
      response.statusCode = statuses.shift() ?? 204
      response.end()
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}/hooks/writ`, deliveries, server }
}

const servers: Server[] = []
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.close()
    await once(server, 'close')
  }
})

function notice(overrides: Partial<HoldNotice> = {}): HoldNotice {
  return {
    id: '01938f2e-7c4a-7000-8000-000000000001',
    action: 'payments.transfer',
    args: { amount: 20_000, currency: 'EUR', to: 'DE89370400440532013000' },
    agent: 'agent:accounts-payable',
    rule: 'large-payments-need-finance',
    ruleDescription: 'Payments above 10 000 EUR need a finance approver.',
    group: 'finance',
    quorum: 1,
    exp: Math.floor(Date.now() / 1000) + 900,
    ...overrides,
  }
}

const hmacSecret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`

async function deliverOne(statuses: number[] = []) {
  const receiver = await startReceiver(statuses)
  servers.push(receiver.server)
  const keys = generateWebhookKeyPair()
  const webhook = createApprovalWebhook({
    url: receiver.url,
    signingKeys: [keys.secretKey, hmacSecret],
    approvalsUrl: 'http://127.0.0.1:8787/approvals',
    retryDelaysMs: [0, 1, 1],
  })
  webhook.notify(notice())
  await webhook.flush()
  return { receiver, keys, webhook }
}

describe('approval webhook', () => {
  it('posts a hold signed v1a and v1, which the receiver verifies with the public key or secret', async () => {
    const { receiver, keys } = await deliverOne()
    expect(receiver.deliveries).toHaveLength(1)
    const [delivery] = receiver.deliveries
    const byKey = await verifyWebhook(delivery!.headers, delivery!.body, {
      publicKeys: [keys.publicKey],
    })
    expect(byKey.scheme).toBe('v1a')
    expect(byKey.payload).toMatchObject({
      type: 'approval.hold.opened',
      data: {
        hold: notice().id,
        action: 'payments.transfer',
        args: { amount: 20_000 },
        group: 'finance',
        approvalsUrl: `http://127.0.0.1:8787/approvals?hold=${notice().id}`,
      },
    })
    const bySecret = await verifyWebhook(delivery!.headers, delivery!.body, {
      secrets: [hmacSecret],
    })
    expect(bySecret.scheme).toBe('v1')
    expect(webhookPublicKey(keys.secretKey)).toBe(keys.publicKey)
  })

  it('refuses a tampered body, a wrong key and a stale or future timestamp', async () => {
    const { receiver, keys } = await deliverOne()
    const [delivery] = receiver.deliveries
    const { headers, body } = delivery!
    const tampered = body.replace('20000', '2000')
    expect(tampered).not.toBe(body)
    const refusals = [
      () => verifyWebhook(headers, tampered, { publicKeys: [keys.publicKey] }),
      () => verifyWebhook(headers, tampered, { secrets: [hmacSecret] }),
      () => verifyWebhook(headers, body, { publicKeys: [generateWebhookKeyPair().publicKey] }),
      () =>
        verifyWebhook(headers, body, {
          secrets: [`whsec_${Buffer.alloc(32, 8).toString('base64')}`],
        }),
      () =>
        verifyWebhook({ ...headers, 'webhook-id': 'msg_other' }, body, {
          publicKeys: [keys.publicKey],
        }),
    ]
    for (const refusal of refusals) {
      await expect(refusal()).rejects.toMatchObject({ code: 'SIGNATURE_INVALID' })
    }
    const sentAt = Number(headers['webhook-timestamp'])
    await expect(
      verifyWebhook(headers, body, { publicKeys: [keys.publicKey], now: () => sentAt + 301 }),
    ).rejects.toMatchObject({ code: 'EXPIRED' })
    await expect(
      verifyWebhook(headers, body, { publicKeys: [keys.publicKey], now: () => sentAt - 301 }),
    ).rejects.toMatchObject({ code: 'NOT_YET_VALID' })
  })

  it('refuses a replay with a fresh timestamp but the old signature', async () => {
    const { receiver, keys } = await deliverOne()
    const { headers, body } = receiver.deliveries[0]!
    const replayed = {
      ...headers,
      'webhook-timestamp': String(Number(headers['webhook-timestamp']) + 60),
    }
    await expect(verifyWebhook(replayed, body, { publicKeys: [keys.publicKey] })).rejects.toSatisfy(
      (error) => WritError.isInstance(error) && error.code === 'SIGNATURE_INVALID',
    )
  })

  it('refuses missing or malformed headers', async () => {
    const keys = generateWebhookKeyPair()
    const body = '{"type":"approval.hold.opened"}'
    const timestamp = Math.floor(Date.now() / 1000)
    const signature = await signWebhook([keys.secretKey], 'msg_1', timestamp, body)
    const good = {
      'webhook-id': 'msg_1',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signature,
    }
    await expect(
      verifyWebhook(good, body, { publicKeys: [keys.publicKey] }),
    ).resolves.toMatchObject({
      id: 'msg_1',
      scheme: 'v1a',
    })
    const cases = [
      { ...good, 'webhook-id': undefined },
      { ...good, 'webhook-id': 'msg.1' },
      { ...good, 'webhook-timestamp': '1.5' },
      { ...good, 'webhook-signature': '' },
    ]
    for (const headers of cases) {
      await expect(
        verifyWebhook(headers, body, { publicKeys: [keys.publicKey] }),
      ).rejects.toMatchObject({
        code: 'MALFORMED',
      })
    }
  })

  it('retries a failing receiver with one webhook-id, and notify never waits for it', async () => {
    const { receiver, keys } = await deliverOne([500, 503])
    expect(receiver.deliveries).toHaveLength(3)
    const ids = new Set(receiver.deliveries.map((delivery) => delivery.headers['webhook-id']))
    expect(ids.size).toBe(1)
    const last = receiver.deliveries[2]!
    await expect(
      verifyWebhook(last.headers, last.body, { publicKeys: [keys.publicKey] }),
    ).resolves.toMatchObject({ scheme: 'v1a' })
  })

  it('gives up after the last attempt, and stops at once on 410 Gone', async () => {
    const failing = await startReceiver([500, 500, 500, 500])
    const gone = await startReceiver([410])
    servers.push(failing.server, gone.server)
    const gaveUp: string[] = []
    for (const url of [failing.url, gone.url]) {
      const webhook = createApprovalWebhook({
        url,
        signingKeys: [generateWebhookKeyPair().secretKey],
        retryDelaysMs: [0, 1, 1],
        onGiveUp: (held) => gaveUp.push(held.id),
      })
      webhook.notify(notice())
      await webhook.flush()
    }
    expect(failing.deliveries).toHaveLength(3)
    expect(gone.deliveries).toHaveLength(1)
    expect(gaveUp).toEqual([notice().id])
  })

  it('sends nothing for a hold that has already closed', async () => {
    const receiver = await startReceiver()
    servers.push(receiver.server)
    const webhook = createApprovalWebhook({
      url: receiver.url,
      signingKeys: [generateWebhookKeyPair().secretKey],
    })
    webhook.notify(notice({ exp: Math.floor(Date.now() / 1000) - 1 }))
    await webhook.close()
    expect(receiver.deliveries).toHaveLength(0)
  })

  it('refuses malformed signing keys when created', () => {
    for (const signingKeys of [[], ['secret'], ['whsk_AAAA'], ['whsec_c2hvcnQ=']]) {
      expect(() => createApprovalWebhook({ url: 'http://127.0.0.1:1/', signingKeys })).toThrow(
        expect.objectContaining({ code: 'KEY_INVALID' }),
      )
    }
  })

  it("is the embedded gate's onHold: a hold opens, the receiver verifies what approvers must see", async () => {
    const receiver = await startReceiver()
    servers.push(receiver.server)
    const keys = generateWebhookKeyPair()
    const webhook = createApprovalWebhook({ url: receiver.url, signingKeys: [keys.secretKey] })
    const { gate } = createApprovalsFixture({ onHold: webhook.notify })
    const decision = await gate.authorize({
      action: 'payments.transfer',
      args: { amount: 5000, to: 'atlas-freight' },
    })
    expect(decision).toMatchObject({ decision: 'SILENCE', reason: 'APPROVAL_REQUIRED' })
    // The decision did not wait for the webhook; it arrives beside it.
    await webhook.flush()
    const [delivery] = receiver.deliveries
    const verified = await verifyWebhook(delivery!.headers, delivery!.body, {
      publicKeys: [keys.publicKey],
    })
    expect(verified.payload).toMatchObject({
      type: 'approval.hold.opened',
      data: {
        hold: decision.claims.jti,
        action: 'payments.transfer',
        args: { amount: 5000, to: 'atlas-freight' },
        agent: 'agent-7',
        rule: 'large',
        group: 'finance',
        quorum: 1,
      },
    })
  })

  it('never delays or fails a decision, even when the receiver is down', async () => {
    const webhook = createApprovalWebhook({
      url: 'http://127.0.0.1:9/unreachable',
      signingKeys: [generateWebhookKeyPair().secretKey],
      retryDelaysMs: [0],
    })
    const { gate } = createApprovalsFixture({ onHold: webhook.notify })
    const decision = await gate.authorize({ action: 'payments.transfer', args: { amount: 7000 } })
    expect(decision).toMatchObject({ decision: 'SILENCE', reason: 'APPROVAL_REQUIRED' })
    await webhook.close()
  })
})
