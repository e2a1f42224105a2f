/**
 * A real `writ serve`: its standard output is JSON lines, one per request and one per
 * thing it does on its own, and none carries an argument value, a body or a token.
 */
import { execFileSync, spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateSigningKey } from '@writ/core'
import { hashToken } from '@writ/server'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../../', import.meta.url))
const bin = join(root, 'packages/cli/dist/bin.js')
const token = 'writ_logs_SECRET_TOKEN_0123456789abcdef'
const secretArgument = 'acct-SECRET-ARGUMENT-9c1d'
let dir: string

beforeAll(() => {
  if (!existsSync(bin))
    execFileSync(
      'npx',
      ['turbo', 'run', 'build', '--filter=@writ/cli...', '--output-logs=errors-only'],
      { cwd: root, stdio: 'ignore' },
    )
  dir = mkdtempSync(join(tmpdir(), 'writ-logs-'))
  chmodSync(dir, 0o700)
  writeFileSync(
    join(dir, 'policy.yaml'),
    'writ: 1\nid: logged\nrules:\n  - id: payments\n    effect: permit\n    actions: [payments.transfer]\n',
    { mode: 0o644 },
  )
  writeFileSync(join(dir, 'key.json'), JSON.stringify(generateSigningKey()), { mode: 0o600 })
  writeFileSync(
    join(dir, 'agents.json'),
    JSON.stringify({ agents: [{ agent: 'agent:payer', tokenSha256: hashToken(token) }] }),
    { mode: 0o644 },
  )
}, 180_000)
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('writ serve logs', () => {
  it('prints JSON lines: listening, one per request, stopped; never arguments or tokens', async () => {
    const child = spawn(
      process.execPath,
      [
        bin,
        'serve',
        '--policy',
        join(dir, 'policy.yaml'),
        '--key',
        join(dir, 'key.json'),
        '--agents',
        join(dir, 'agents.json'),
        '--store',
        join(dir, 'writ.db'),
        '--port',
        '0',
        '--chain-id',
        'logs-test',
        '--new-chain',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env['PATH'] ?? '' } },
    )
    let stdout = ''
    let stderr = ''
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve))
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString()
        const match = /"event":"listening".*?"url":"(http:\/\/[^"]+)"/.exec(stdout)
        if (match) resolve(match[1] as string)
      })
      void exited.then(() => reject(new Error(`serve exited: ${stdout}${stderr}`)))
    })

    const permit = await fetch(`${url}/v1/decisions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
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
    child.kill('SIGTERM')
    expect(await exited).toBe(0)

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
      policy: { id: 'logged' },
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
    for (const secret of [secretArgument, token, 'SECRET', receipt])
      expect(stdout + stderr).not.toContain(secret)
  })
})
