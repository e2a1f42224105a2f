import { createApprovalsFixture } from '@writ/core/testing'
import { afterEach, describe, expect, it } from 'vitest'
import { CONSOLE_API_ROUTES, CONSOLE_PUBLIC_ROUTES } from '../src/console/console-page.js'
import { hashToken, type ListeningAuthority, startAuthorityServer } from '../src/index.js'

const agentToken = 'agent-token-0123456789abcdef'
const operatorToken = 'operator-token-0123456789abcdef'
const running: ListeningAuthority[] = []

afterEach(async () => {
  for (const server of running.splice(0)) await server.close()
})

async function start() {
  const fixture = createApprovalsFixture()
  const server = await startAuthorityServer({
    gate: fixture.gate,
    agents: [{ agent: 'agent-7', tokenSha256: hashToken(agentToken) }],
    operators: [{ name: 'ops', tokenSha256: hashToken(operatorToken) }],
    console: { secureCookie: false },
  })
  running.push(server)
  // A decision, so routes that read one have something to refuse to show.
  const decided = await fetch(`${server.url}/v1/decisions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${agentToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ action: 'payments.transfer', args: '{"to":"acme","amount":5}' }),
  })
  const { receipt } = (await decided.json()) as { receipt: string }
  const claims = JSON.parse(Buffer.from(receipt.split('.')[1] as string, 'base64url').toString())
  return { server, jti: claims.jti as string, chain: claims.chain.id as string }
}

const concrete = (route: string, jti: string, chain: string) =>
  route.replace(':jti', jti) + (route.endsWith('/bundle') ? `?chain=${chain}` : '')

describe('console routes', () => {
  it('every GET route under /console/api is listed, so none escapes the checks below', async () => {
    const { server } = await start()
    const mounted = server.app.routes
      .filter((route) => route.method === 'GET' && route.path.startsWith('/console/api'))
      .map((route) => route.path)
    expect([...new Set(mounted)].sort()).toEqual(
      [...CONSOLE_API_ROUTES, ...CONSOLE_PUBLIC_ROUTES].sort(),
    )
    // The one public route says how to sign in, and nothing else.
    const methods = await fetch(`${server.url}${CONSOLE_PUBLIC_ROUTES[0]}`)
    expect(await methods.json()).toEqual({ token: true, passkey: false })
    const posts = server.app.routes
      .filter((route) => route.method === 'POST' && route.path.startsWith('/console'))
      .map((route) => route.path)
    expect(posts.sort()).toEqual(['/console/api/sign-in', '/console/api/sign-out'])
  })

  it('refuses no token, a bad token and an agent token on every route; serves an operator', async () => {
    const { server, jti, chain } = await start()
    for (const route of CONSOLE_API_ROUTES) {
      const url = `${server.url}${concrete(route, jti, chain)}`
      const none = await fetch(url)
      expect([route, none.status, ((await none.json()) as { code: string }).code]).toEqual([
        route,
        401,
        'UNAUTHENTICATED',
      ])
      const bad = await fetch(url, { headers: { authorization: 'Bearer not-a-token-of-anyone' } })
      expect([route, bad.status]).toEqual([route, 401])
      const agent = await fetch(url, { headers: { authorization: `Bearer ${agentToken}` } })
      expect([route, agent.status, ((await agent.json()) as { code: string }).code]).toEqual([
        route,
        403,
        'OPERATOR_REQUIRED',
      ])
      const operator = await fetch(url, { headers: { authorization: `Bearer ${operatorToken}` } })
      expect([route, operator.status]).toEqual([route, 200])
    }
  })

  it('signs in with an operator token only, from the page, into an HttpOnly cookie', async () => {
    const { server } = await start()
    const signIn = (token: string, origin = server.url) =>
      fetch(`${server.url}/console/api/sign-in`, {
        method: 'POST',
        headers: { origin, 'content-type': 'application/json' },
        body: JSON.stringify({ token }),
      })
    const agent = await signIn(agentToken)
    expect([agent.status, ((await agent.json()) as { code: string }).code]).toEqual([
      403,
      'OPERATOR_REQUIRED',
    ])
    expect(agent.headers.get('set-cookie')).toBeNull()
    const elsewhere = await signIn(operatorToken, 'https://evil.example')
    expect(elsewhere.status).toBe(403)
    expect(elsewhere.headers.get('set-cookie')).toBeNull()
    const operator = await signIn(operatorToken)
    expect(operator.status).toBe(200)
    const cookie = operator.headers.get('set-cookie') ?? ''
    expect(cookie).toMatch(/HttpOnly/)
    expect(cookie).toMatch(/SameSite=Strict/)
    expect(cookie).toMatch(/Path=\/console/)
    const session = cookie.split(';')[0] as string
    const me = await fetch(`${server.url}/console/api/me`, { headers: { cookie: session } })
    expect(((await me.json()) as { operator: string }).operator).toBe('ops')
    const forged = await fetch(`${server.url}/console/api/me`, {
      headers: { cookie: 'writ_console=forged-session-value' },
    })
    expect(forged.status).toBe(401)
    await fetch(`${server.url}/console/api/sign-out`, {
      method: 'POST',
      headers: { origin: server.url, cookie: session },
    })
    const after = await fetch(`${server.url}/console/api/me`, { headers: { cookie: session } })
    expect(after.status).toBe(401)
  })

  it('is not served unless asked for', async () => {
    const fixture = createApprovalsFixture()
    const server = await startAuthorityServer({ gate: fixture.gate, agents: [] })
    running.push(server)
    expect((await fetch(`${server.url}/console`)).status).toBe(404)
    expect((await fetch(`${server.url}/console/api/decisions`)).status).toBe(404)
  })
})
