import type { ChildProcess } from 'node:child_process'
import { request } from 'node:http'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  bankServer,
  environment,
  hostOverStdio,
  receiptClaimsOf,
  refusalOf,
  startAndRead,
  stop,
  textOf,
  type Workspace,
  workspace,
} from './support.js'

describe('writ mcp proxy over stdio, in front of a Streamable HTTP server on 127.0.0.1', () => {
  let space: Workspace
  let upstream: ChildProcess
  let host: Client
  beforeAll(async () => {
    space = workspace()
    const started = await startAndRead(
      [bankServer, '--http'],
      environment(space),
      'stdout',
      /^(http:\S+)$/,
    )
    upstream = started.child
    host = await hostOverStdio(space, { upstream: ['--upstream-url', started.match[1]!] })
  })
  afterAll(async () => {
    await host?.close()
    if (upstream !== undefined) await stop(upstream)
    space?.remove()
  })

  it('forwards only the permitted call', async () => {
    expect((await host.listTools()).tools.map((tool) => tool.name).sort()).toEqual([
      'balance',
      'transfer',
    ])
    const permitted = await host.callTool({
      name: 'transfer',
      arguments: { to: 'alice', amount: 20 },
    })
    expect(textOf(permitted as never)).toBe('sent 20 to alice')
    const denied = await host.callTool({
      name: 'transfer',
      arguments: { to: 'mallory', amount: 20 },
    })
    expect(refusalOf(denied as never)).toMatchObject({
      decision: 'DENY',
      reason: 'SANCTIONED_PAYEE',
    })
    expect(space.calls().map((call) => call.args)).toEqual([{ to: 'alice', amount: 20 }])
  })
})

/** A POST to the proxy's endpoint with a raw body and the given Host header. */
function post(url: URL, body: string, host = url.host): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      url,
      {
        method: 'POST',
        headers: {
          host,
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
        },
      },
      (response) => {
        let text = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => {
          text += chunk
        })
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }))
      },
    )
    outgoing.on('error', reject)
    outgoing.end(body)
  })
}

describe('writ mcp proxy --listen: hosts over Streamable HTTP on 127.0.0.1', () => {
  let space: Workspace
  let proxy: ChildProcess
  let url: URL
  let host: Client
  beforeAll(async () => {
    space = workspace()
    const started = await startAndRead(
      [...space.proxyArgs('--listen', '127.0.0.1:0'), '--', process.execPath, bankServer],
      environment(space),
      'stderr',
      /listening on (http:\S+)/,
    )
    proxy = started.child
    url = new URL(started.match[1]!)
    host = new Client({ name: 'http-host', version: '1.0.0' })
    await host.connect(new StreamableHTTPClientTransport(url))
  })
  afterAll(async () => {
    await host?.close()
    if (proxy !== undefined) await stop(proxy)
    space?.remove()
  })

  it('decides each call before it is forwarded', async () => {
    expect((await host.listTools()).tools.map((tool) => tool.name).sort()).toEqual([
      'balance',
      'transfer',
    ])
    const permitted = await host.callTool({
      name: 'transfer',
      arguments: { to: 'alice', amount: 30 },
    })
    expect((await receiptClaimsOf(permitted as never, space.keys())).decision).toBe('PERMIT')
    const silent = await host.callTool({
      name: 'transfer',
      arguments: { to: 'alice', amount: 3000 },
    })
    expect(refusalOf(silent as never)).toMatchObject({ decision: 'SILENCE' })
    expect(space.calls().map((call) => call.args)).toEqual([{ to: 'alice', amount: 30 }])
  })

  it('refuses a call with duplicate keys, with a receipt, and forwards nothing', async () => {
    const before = space.calls().length
    const body =
      '{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"transfer","arguments":{"to":"alice","amount":1,"amount":99999}}}'
    const answer = await post(url, body)
    expect(answer.status).toBe(200)
    const { result } = JSON.parse(answer.text) as { result: never }
    expect(refusalOf(result)).toMatchObject({ decision: 'DENY', reason: 'INPUT_INVALID' })
    expect((await receiptClaimsOf(result, space.keys())).decision).toBe('DENY')
    expect(space.calls().length).toBe(before)
  })

  it('refuses another Host (DNS rebinding), broken JSON, and methods other than POST', async () => {
    const call =
      '{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"transfer","arguments":{"to":"alice","amount":1}}}'
    expect((await post(url, call, `attacker.example:${url.port}`)).status).toBe(403)
    const broken = await post(url, '{"jsonrpc":')
    expect(broken.status).toBe(400)
    expect(JSON.parse(broken.text).error.code).toBe(-32700)
    expect((await fetch(url)).status).toBe(405)
  })
})
