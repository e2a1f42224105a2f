/**
 * A real `writ serve`: its standard output is JSON lines, one per request and one per
 * thing it does on its own, and none carries an argument value, a body or a token.
 */
import { describe, expect, it } from 'vitest'
import { opsFile, spawnWrit } from './support.js'

const file = opsFile({ workspace: true })
const secretArgument = 'acct-SECRET-ARGUMENT-9c1d'

describe('writ serve logs', () => {
  it('prints JSON lines: listening, one per request, stopped; never arguments or tokens', async () => {
    const { ws } = file
    const serve = spawnWrit([...ws.serveArgs(), '--chain-id', 'logs-test', '--new-chain'])
    const listeningLine = await serve.waitFor(/"event":"listening".*?"url":"(http:\/\/[^"]+)"/)
    const url = listeningLine[1] as string

    const permit = await fetch(`${url}/v1/decisions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${ws.token}`,
        'content-type': 'application/json',
        'x-request-id': 'ops-trace-1',
      },
      body: JSON.stringify({
        action: 'payments.transfer',
        args: JSON.stringify({ amount: 5, to: secretArgument }),
      }),
    })
    expect(permit.headers.get('x-request-id')).toBe('ops-trace-1')
    const { receipt } = (await permit.json()) as { receipt: string }
    const refused = await fetch(`${url}/v1/decisions`, {
      method: 'POST',
      headers: { authorization: 'Bearer writ_wrong_SECRET' },
      body: '{}',
    })
    expect(refused.status).toBe(401)
    serve.child.kill('SIGTERM')
    expect(await serve.exited).toBe(0)
    const stdout = serve.stdout()

    // Every line of standard output is one JSON object.
    const lines = stdout
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>)
    for (const line of lines) {
      expect(typeof line['level']).toBe('string')
      expect(typeof line['time']).toBe('string')
    }
    const listening = lines.find((line) => line['event'] === 'listening')
    expect(listening).toMatchObject({
      level: 'info',
      url,
      chainId: 'logs-test',
      policy: { id: 'ops' },
    })
    expect(listening?.['policy']).toHaveProperty('digest', expect.stringMatching(/^sha256:/))
    expect(typeof listening?.['keyId']).toBe('string')
    expect(lines.indexOf(listening as Record<string, unknown>)).toBe(0)
    const requests = lines.filter((line) => line['event'] === 'request')
    expect(requests).toMatchObject([
      {
        requestId: 'ops-trace-1',
        route: '/v1/decisions',
        status: 200,
        agent: 'agent:payer',
        action: 'payments.transfer',
        decision: 'PERMIT',
        rule: 'payments',
      },
      { route: '/v1/decisions', status: 401, code: 'UNAUTHENTICATED', level: 'warn' },
    ])
    expect(lines.at(-1)).toMatchObject({ event: 'stopped', signal: 'SIGTERM' })
    for (const secret of [secretArgument, ws.token, 'SECRET', receipt])
      expect(stdout + serve.stderr()).not.toContain(secret)
  })
})
