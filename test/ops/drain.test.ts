/**
 * SIGTERM during a burst: serve stops accepting, lets decisions in flight finish, and
 * exits 0; every receipt in the store reached its agent or is logged as unanswered.
 */
import { createSqliteStore } from '@writ/store-sqlite'
import { decodeJws } from '@writ/verify/internal'
import { describe, expect, it } from 'vitest'
import { opsFile, startServe } from './support.js'

const ops = opsFile({ workspace: true })

describe('SIGTERM drains', () => {
  it('leaves no stored decision unanswered without a log line, and exits 0', async () => {
    const server = await startServe([...ops.ws.serveArgs(), '--chain-id', 'drain'])
    const received = new Set<string>()
    const refusals: string[] = []
    let signalled = false
    const one = async (): Promise<void> => {
      try {
        const response = await fetch(`${server.url}/v1/decisions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ops.ws.token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ action: 'payments.transfer', args: '{"amount":1}' }),
        })
        const body = (await response.json()) as { receipt?: string; code?: string }
        if (response.status === 200 && body.receipt !== undefined) {
          received.add(decodeJws(body.receipt).claims['jti'] as string)
          // The signal goes out in the middle of the burst: at the first answer.
          if (!signalled) {
            signalled = true
            server.child.kill('SIGTERM')
          }
        } else refusals.push(`${response.status}:${body.code}`)
      } catch {
        refusals.push('connection')
      }
    }
    await Promise.all(Array.from({ length: 300 }, one))
    expect(await server.exited).toBe(0)
    expect(signalled).toBe(true)
    // Requests after the signal were refused as shutting down, or not connected at all.
    for (const refusal of refusals) expect(['503:SHUTTING_DOWN', 'connection']).toContain(refusal)

    const unanswered = new Set(
      server
        .events()
        .filter((event) => event['event'] === 'decision-unanswered')
        .map((event) => event['jti'] as string),
    )
    const store = createSqliteStore({ path: ops.ws.path('writ.db') })
    const stored: string[] = []
    for await (const receipt of store.receipts('drain')) stored.push(receipt.claims.jti)
    await store.close()
    expect(stored.length).toBeGreaterThan(0)
    for (const jti of stored) expect(received.has(jti) || unanswered.has(jti)).toBe(true)
    expect(server.events().some((event) => event['event'] === 'drain-started')).toBe(true)
  }, 60_000)
})
