/**
 * createRemoteGate against a real `writ serve` over TCP: one caller's decisions reuse
 * kept-alive connections (the default `fetch` pools them) instead of paying a TCP
 * handshake each; and decision bodies read from Node’s own request stream.
 */
import { request as httpRequest } from 'node:http'
import { connect, createServer, type Server, type Socket } from 'node:net'
import { createRemoteGate } from '@writ/core'
import { createPaymentsGate } from '@writ/core/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { hashToken, type ListeningAuthority, startAuthorityServer } from '../src/index.js'

const token = 'keep-alive-token-0123456789'
let authority: ListeningAuthority | undefined
let proxy: Server | undefined
const sockets: Socket[] = []

afterEach(async () => {
  for (const socket of sockets) socket.destroy()
  await new Promise<void>((done) => (proxy ? proxy.close(() => done()) : done()))
  await authority?.close()
})

/** A TCP relay in front of the authority that counts the connections opened through it. */
async function countingRelay(target: URL): Promise<{ url: string; connections: () => number }> {
  let count = 0
  const relay = createServer((inbound) => {
    count++
    const outbound = connect(Number(target.port), target.hostname)
    sockets.push(inbound, outbound)
    inbound.pipe(outbound).pipe(inbound)
    inbound.on('error', () => outbound.destroy())
    outbound.on('error', () => inbound.destroy())
  })
  proxy = relay
  await new Promise<void>((done) => relay.listen(0, '127.0.0.1', done))
  const address = relay.address() as { port: number }
  return { url: `http://127.0.0.1:${address.port}`, connections: () => count }
}

describe('createRemoteGate keep-alive', () => {
  it('reuses kept-alive connections for a caller’s successive decisions', async () => {
    const gate = createPaymentsGate()
    authority = await startAuthorityServer({
      gate,
      agents: [{ agent: 'agent:payer', tokenSha256: hashToken(token) }],
    })
    const relay = await countingRelay(new URL(authority.url))
    const remote = createRemoteGate({ url: relay.url, token, keys: await gate.keys() })
    for (let index = 0; index < 20; index++) {
      const decision = await remote.authorize({
        action: 'payments.transfer',
        args: { amount: 10, to: 'bob' },
      })
      expect(decision.decision).toBe('PERMIT')
    }
    // Without keep-alive every decision opens its own connection (20). The pool may open a
    // second one while the first is being handed back, but not one per decision.
    expect(relay.connections()).toBeLessThanOrEqual(4)
  })
})

describe('writ serve reads decision bodies from Node’s stream', () => {
  it('refuses a declared length over the limit with 413 before reading, and decides nothing', async () => {
    const gate = createPaymentsGate()
    authority = await startAuthorityServer({
      gate,
      agents: [{ agent: 'agent:payer', tokenSha256: hashToken(token) }],
      maxBodyBytes: 1024,
    })
    const target = new URL(`${authority.url}/v1/decisions`)
    const answer = await new Promise<{ status: number; code: string }>((resolve, reject) => {
      const request = httpRequest(
        target,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'content-length': String(10 * 1024 * 1024),
          },
        },
        (response) => {
          let text = ''
          response.on('data', (chunk: Buffer) => {
            text += chunk.toString()
          })
          response.on('end', () =>
            resolve({ status: response.statusCode ?? 0, code: JSON.parse(text).code }),
          )
        },
      )
      request.on('error', reject)
      request.write('{"action":"payments.transfer","args":{"amount":1,"to":"bob"}')
    })
    expect(answer).toEqual({ status: 413, code: 'BODY_TOO_LARGE' })
    const chain: string[] = []
    for await (const stored of gate.store.receipts(gate.chainId)) chain.push(stored.token)
    expect(chain).toEqual([])
  })
})
