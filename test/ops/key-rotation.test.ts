/**
 * Rotation under load: `writ keys rotate` while a real `writ serve` decides; the server
 * picks the new ring up by itself, and every receipt verifies afterwards.
 */
import { writeFileSync } from 'node:fs'
import { createRemoteGate } from '@writ/core'
import { createSqliteStore } from '@writ/store-sqlite'
import { createKeySet, verifyReceipt } from '@writ/verify'
import { decodeJws } from '@writ/verify/internal'
import { describe, expect, it } from 'vitest'
import { decide, opsFile, opsWorkspace, runWrit, startServe } from './support.js'

const ops = opsFile({ workspace: true })

const kidOf = (token: string) => decodeJws(token).header.kid

describe('key rotation under load', () => {
  it('loads the rotated ring without a restart; every receipt and the whole chain verify', async () => {
    const server = await startServe([...ops.ws.serveArgs(), '--chain-id', 'rotation'])
    // An agent's remote gate with no pinned keys: it fetches the key set, and again on a new kid.
    const remote = createRemoteGate({ url: server.url, token: ops.ws.token, timeoutMs: 30_000 })
    const first = await remote.authorize({ action: 'payments.transfer', args: { amount: 1 } })
    expect(first.decision).toBe('PERMIT')
    const oldKid = kidOf(first.receipt)

    const received: string[] = [first.receipt]
    const failures: number[] = []
    let rotated = false
    let afterRotation = 0
    let stop = false
    let enoughAfter: () => void = () => undefined
    const enough = new Promise<void>((resolve) => {
      enoughAfter = resolve
    })
    const worker = async () => {
      while (!stop) {
        const result = await decide(server.url, ops.ws.token)
        if (result.status !== 200) {
          failures.push(result.status)
          continue
        }
        received.push(result.body['receipt'] as string)
        if (rotated && kidOf(result.body['receipt'] as string) !== oldKid) {
          afterRotation += 1
          if (afterRotation >= 50) enoughAfter()
        }
      }
    }
    const workers = Array.from({ length: 16 }, worker)
    // Rotate mid-load, once decisions are flowing.
    while (received.length < 100)
      await decide(server.url, ops.ws.token).then((r) => {
        if (r.status === 200) received.push(r.body['receipt'] as string)
      })
    const rotation = await runWrit(['keys', 'rotate', '--key', ops.ws.path('key.json'), '--json'])
    expect(rotation.code).toBe(0)
    const { active } = JSON.parse(rotation.stdout) as { active: string }
    await server.waitFor(new RegExp(`"event":"key-ring-reloaded"[^\\n]*"active":"${active}"`))
    rotated = true
    await enough
    stop = true
    await Promise.all(workers)
    expect(failures).toEqual([])

    // The agent's gate meets the new kid, refetches the key set and keeps working.
    const later = await remote.authorize({ action: 'payments.transfer', args: { amount: 2 } })
    expect(later.decision).toBe('PERMIT')
    expect(kidOf(later.receipt)).toBe(active)
    received.push(later.receipt)

    server.child.kill('SIGTERM')
    expect(await server.exited).toBe(0)

    const exported = await runWrit(['keys', 'export', '--key', ops.ws.path('key.json')])
    expect(exported.code).toBe(0)
    writeFileSync(ops.ws.path('keys.json'), exported.stdout)
    const keySet = createKeySet(exported.stdout)
    const store = createSqliteStore({ path: ops.ws.path('writ.db') })
    const stored: string[] = []
    for await (const receipt of store.receipts('rotation')) stored.push(receipt.token)
    await store.close()
    expect(stored.length).toBeGreaterThanOrEqual(received.length)
    expect(new Set(stored.map(kidOf))).toEqual(new Set([oldKid, active]))
    for (const token of new Set([...stored, ...received])) await verifyReceipt(token, keySet)

    const chain = await runWrit([
      'chain',
      'verify',
      '--store',
      ops.ws.path('writ.db'),
      '--keys',
      ops.ws.path('keys.json'),
      '--chain',
      'rotation',
      '--json',
    ])
    expect(chain.code).toBe(0)
  }, 120_000)

  it('refuses a reloaded ring that drops a key of the current one, and keeps signing', async () => {
    const own = opsWorkspace()
    try {
      const server = await startServe([...own.serveArgs(), '--chain-id', 'shrink'])
      const before = await decide(server.url, own.token)
      const oldKid = kidOf(before.body['receipt'] as string)
      // A ring without the current key: a fresh key written over the file.
      const fresh = await runWrit(['keygen', '--out', own.path('other.json')])
      expect(fresh.code).toBe(0)
      await runWrit(['keys', 'rotate', '--key', own.path('other.json')])
      const { renameSync } = await import('node:fs')
      renameSync(own.path('other.json'), own.path('key.json'))
      await server.waitFor(/"event":"key-reload-refused"[^\n]*"code":"KEY_RING_INCOMPLETE"/)
      const after = await decide(server.url, own.token)
      expect(after.status).toBe(200)
      expect(kidOf(after.body['receipt'] as string)).toBe(oldKid)
      server.child.kill('SIGTERM')
      expect(await server.exited).toBe(0)
    } finally {
      own.remove()
    }
  }, 60_000)
})
