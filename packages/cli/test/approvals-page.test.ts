import { once } from 'node:events'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  compilePolicy,
  createGate,
  createMemoryStore,
  generateSigningKey,
  generateWebhookKeyPair,
  parseApprovers,
} from '@writ/core'
import { approvalsPolicyText } from '@writ/core/testing'
import {
  hashToken,
  type ListeningAuthority,
  openPasskeyRegistry,
  startAuthorityServer,
} from '@writ/server'
import { verifyWebhook } from '@writ/verify'
import { afterEach, describe, expect, it } from 'vitest'
import { serveApprovals } from '../src/serve-approvals.js'
import { useWorkspace } from './helpers.js'

const ws = useWorkspace()
const operatorToken = 'operator-token-0123456789abcdef'
const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

const approvers = () =>
  parseApprovers({
    groups: { finance: ['alice'] },
    approvers: [{ id: 'alice', name: 'Alice Martin' }],
  })

const io = (env: Record<string, string> = {}) => ({
  cwd: ws.dir,
  env,
  stdout: () => {},
  stderr: () => {},
})
const input = (values: Record<string, string>) => ({ values, positionals: [] })

async function receiver(): Promise<{
  url: string
  deliveries: { headers: IncomingHttpHeaders; body: string }[]
}> {
  const deliveries: { headers: IncomingHttpHeaders; body: string }[] = []
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      deliveries.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8') })
      response.writeHead(204).end()
    })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  closers.push(async () => {
    server.close()
    await once(server, 'close')
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/writ`, deliveries }
}

describe('writ serve approvals flags', () => {
  it('reads the webhook key from a 0600 file or the environment, and the hold webhook verifies', async () => {
    const keys = generateWebhookKeyPair()
    ws.write('webhook.key', `${keys.secretKey}\n`, 0o600)
    const hook = await receiver()
    const approvals = await serveApprovals(
      input({ 'approval-webhook': hook.url, 'approval-webhook-key-file': 'webhook.key' }),
      io() as never,
      undefined,
      undefined,
      openPasskeyRegistry,
    )
    closers.push(() => approvals.close())
    expect(approvals.page).toBeUndefined()
    const gate = createGate({
      policy: compilePolicy(approvalsPolicyText()),
      keys: generateSigningKey(),
      issuer: 'https://authority.test',
      store: createMemoryStore(),
      approvers: approvers(),
      ...approvals.gate,
    })
    const held = await gate.authorize({
      action: 'payments.transfer',
      args: { amount: 5000 },
      agent: 'agent-7',
    })
    expect(held.reason).toBe('APPROVAL_REQUIRED')
    await approvals.close()
    const [delivery] = hook.deliveries
    await expect(
      verifyWebhook(delivery!.headers, delivery!.body, { publicKeys: [keys.publicKey] }),
    ).resolves.toMatchObject({ payload: { data: { hold: held.claims.jti, group: 'finance' } } })

    const fromEnvironment = await serveApprovals(
      input({ 'approval-webhook': hook.url }),
      io({ WRIT_APPROVAL_WEBHOOK_KEY: keys.secretKey }) as never,
      undefined,
      undefined,
      openPasskeyRegistry,
    )
    expect(fromEnvironment.gate.onHold).toBeTypeOf('function')
    await fromEnvironment.close()
  })

  it('refuses a webhook without keys, a readable key file, a page without approvers or on plain http', async () => {
    const keys = generateWebhookKeyPair()
    ws.write('open.key', keys.secretKey, 0o644)
    const cases: [Record<string, string>, ReturnType<typeof approvers> | undefined, string][] = [
      [{ 'approval-webhook': 'http://127.0.0.1:9/' }, undefined, 'USAGE'],
      [
        { 'approval-webhook': 'http://127.0.0.1:9/', 'approval-webhook-key-file': 'open.key' },
        undefined,
        'FILE_UNSAFE',
      ],
      [{ 'approval-webhook-key-file': 'open.key' }, undefined, 'USAGE'],
      [{ 'approvals-origin': 'https://writ.example.com' }, undefined, 'USAGE'],
      [{ 'approvals-origin': 'http://writ.example.com' }, approvers(), 'USAGE'],
    ]
    for (const [values, directory, code] of cases) {
      await expect(
        serveApprovals(input(values), io() as never, directory, undefined, openPasskeyRegistry),
      ).rejects.toMatchObject({ code })
    }
  })

  it('writ approver enroll prints a one-time link from the authority (operators only)', async () => {
    const directory = approvers()
    const approvals = await serveApprovals(
      input({ 'approvals-origin': 'http://localhost:8787', passkeys: 'passkeys.json' }),
      io() as never,
      directory,
      'approvers.yaml',
      openPasskeyRegistry,
    )
    expect(approvals.gate.webauthn).toBeTypeOf('function')
    const gate = createGate({
      policy: compilePolicy(approvalsPolicyText()),
      keys: generateSigningKey(),
      issuer: 'https://authority.test',
      store: createMemoryStore(),
      approvers: directory,
      ...approvals.gate,
    })
    const server: ListeningAuthority = await startAuthorityServer({
      gate,
      agents: [],
      operators: [{ name: 'ops', tokenSha256: hashToken(operatorToken) }],
      ...(approvals.page === undefined ? {} : { approvalsPage: approvals.page }),
    })
    closers.push(() => server.close())
    ws.write('operator.token', operatorToken, 0o600)
    const enrolled = await ws.writ(
      'approver',
      'enroll',
      'alice',
      '--server',
      server.url,
      '--token-file',
      'operator.token',
    )
    expect(enrolled.code).toBe(0)
    expect(enrolled.stdout).toMatch(
      /^http:\/\/localhost:8787\/approvals\?enroll=[A-Za-z0-9_-]{32}\n$/,
    )
    const unknown = await ws.writ(
      'approver',
      'enroll',
      'mallory',
      '--server',
      server.url,
      '--token-file',
      'operator.token',
    )
    expect(unknown.code).toBe(3)
    const withoutToken = await ws.writWith(
      {},
      'approver',
      'enroll',
      'alice',
      '--server',
      server.url,
    )
    expect(withoutToken.code).toBe(2)
    ws.write('agent.token', 'not-an-operator-token-0123456789', 0o600)
    const notOperator = await ws.writ(
      'approver',
      'enroll',
      'alice',
      '--server',
      server.url,
      '--token-file',
      'agent.token',
    )
    expect(notOperator.code).toBe(3)
  })
})
