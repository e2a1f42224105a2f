/**
 * `writ serve --console`: the console page is served, its data only to an operator (token
 * or a session started with it), never to the agent; without the flag there is no console.
 */
import { writeFileSync } from 'node:fs'
import { hashToken } from '@writ/server'
import { afterAll, describe, expect, it } from 'vitest'
import { opsFile, opsWorkspace, startServe } from './support.js'

opsFile()
const ws = opsWorkspace()
afterAll(() => ws.remove())

const operatorToken = 'writ_ops_console_operator_0123456789'

function agentsFile(): void {
  writeFileSync(
    ws.path('agents.json'),
    JSON.stringify({
      agents: [{ agent: 'agent:payer', tokenSha256: hashToken(ws.token) }],
      operators: [{ name: 'ops', tokenSha256: hashToken(operatorToken) }],
    }),
    { mode: 0o644 },
  )
}

describe('writ serve --console', () => {
  it('serves /console to everyone and its data to operators only', async () => {
    agentsFile()
    const server = await startServe([...ws.serveArgs(), '--console'])
    try {
      const page = await fetch(`${server.url}/console`)
      expect(page.status).toBe(200)
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'")
      const asAgent = await fetch(`${server.url}/console/api/decisions`, {
        headers: { authorization: `Bearer ${ws.token}` },
      })
      expect([asAgent.status, ((await asAgent.json()) as { code: string }).code]).toEqual([
        403,
        'OPERATOR_REQUIRED',
      ])
      expect((await fetch(`${server.url}/console/api/decisions`)).status).toBe(401)
      const signIn = await fetch(`${server.url}/console/api/sign-in`, {
        method: 'POST',
        headers: { origin: server.url, 'content-type': 'application/json' },
        body: JSON.stringify({ token: operatorToken }),
      })
      const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] as string
      const me = await fetch(`${server.url}/console/api/me`, { headers: { cookie } })
      expect(((await me.json()) as { operator: string }).operator).toBe('ops')
    } finally {
      server.child.kill('SIGTERM')
      await server.exited
    }
  })

  it('serves no console without the flag', async () => {
    agentsFile()
    const server = await startServe(ws.serveArgs())
    try {
      expect((await fetch(`${server.url}/console`)).status).toBe(404)
      expect((await fetch(`${server.url}/console/api/me`)).status).toBe(404)
    } finally {
      server.child.kill('SIGTERM')
      await server.exited
    }
  })
})
