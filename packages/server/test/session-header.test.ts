/**
 * The signed `Writ-Session` header: one credential runs many sessions, each with its own
 * `per: session` counters and `history`, and nobody without the agent's session key can
 * name one. Real server on 127.0.0.1, real SQLite store, real remote gate.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  compilePolicy,
  createGate,
  createRemoteGate,
  generateSigningKey,
  sessionHeader,
} from '@writ/core'
import { createSqliteStore } from '@writ/store-sqlite'
import { verifyReceipt } from '@writ/verify'
import { afterEach, describe, expect, it } from 'vitest'
import { hashToken, type ListeningAuthority, startAuthorityServer } from '../src/index.js'

const policyText = `writ: 1
id: sessions
rules:
  - id: fetch
    effect: permit
    actions: [web.fetch]
    tags: [untrusted]
  - id: send
    effect: permit
    actions: [email.send]
  - id: no-outside-mail-after-untrusted
    effect: deny
    actions: [email.send]
    when: "!args.to.endsWith('@corp.example') && history.exists(h, 'untrusted' in h.tags)"
    reason: SESSION_TAINTED
  - id: export
    effect: permit
    actions: [records.export]
limits:
  - id: two-exports-per-session
    actions: [records.export]
    per: session
    window: 1d
    count: true
    max: 2
`

const key = () => randomBytes(32).toString('base64url')
const tokens = {
  a: 'agent-a-token-0123456789',
  b: 'agent-b-token-0123456789',
  c: 'agent-c-0123456789',
}
const keys = { a: key(), b: key() }
const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

async function start(bKey: string = keys.b): Promise<ListeningAuthority> {
  const dir = mkdtempSync(join(tmpdir(), 'writ-session-header-'))
  const store = createSqliteStore({ path: join(dir, 'authority.db') })
  const gate = createGate({
    policy: compilePolicy(policyText),
    keys: generateSigningKey(),
    issuer: 'https://authority.test',
    store,
  })
  const server = await startAuthorityServer({
    gate,
    agents: [
      { agent: 'agent:a', tokenSha256: hashToken(tokens.a), sessionKey: keys.a },
      { agent: 'agent:b', tokenSha256: hashToken(tokens.b), sessionKey: bKey },
      { agent: 'agent:c', tokenSha256: hashToken(tokens.c) },
    ],
  })
  cleanups.push(async () => {
    await server.close()
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  })
  return server
}

interface Answer {
  readonly status: number
  readonly body: { decision?: string; reason?: string; code?: string; receipt?: string }
}

async function ask(
  server: ListeningAuthority,
  token: string,
  session: string | readonly string[] | undefined,
  action: string,
  args: object,
  extra: object = {},
): Promise<Answer> {
  const headers = new Headers({
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
  })
  for (const value of typeof session === 'string' ? [session] : (session ?? []))
    headers.append('writ-session', value)
  const response = await fetch(`${server.url}/v1/decisions`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ action, args: JSON.stringify(args), ...extra }),
  })
  return { status: response.status, body: (await response.json()) as Answer['body'] }
}

const mint = (agentId: string, sessionKey: string, id: string) =>
  sessionHeader({ agentId, sessionKey, id })

function refused(answer: Answer, status: number, code: string): void {
  expect([answer.status, answer.body.code]).toEqual([status, code])
  // A refused header is a credential problem: nothing is decided, no receipt issued.
  expect(answer.body.receipt).toBeUndefined()
}

describe('Writ-Session: what an attacker cannot do', () => {
  it("refuses agent A's header with agent B's token, even when B was given the same key", async () => {
    for (const bKey of [keys.b, keys.a]) {
      const server = await start(bKey)
      const header = await mint('agent:a', keys.a, 'run-1')
      refused(await ask(server, tokens.b, header, 'web.fetch', {}), 401, 'SESSION_INVALID')
      expect((await ask(server, tokens.a, header, 'web.fetch', {})).body.decision).toBe('PERMIT')
    }
  })

  it("refuses a header minted with another agent's key or naming another agent", async () => {
    const server = await start()
    const withBKey = await mint('agent:a', keys.b, 'run-1')
    refused(await ask(server, tokens.a, withBKey, 'web.fetch', {}), 401, 'SESSION_INVALID')
    const forB = await mint('agent:b', keys.a, 'run-1')
    refused(await ask(server, tokens.a, forB, 'web.fetch', {}), 401, 'SESSION_INVALID')
  })

  it('refuses a mac moved onto another id', async () => {
    const server = await start()
    const mac = (await mint('agent:a', keys.a, 'run-1')).split('.')[2] as string
    refused(await ask(server, tokens.a, `v1.run-2.${mac}`, 'web.fetch', {}), 401, 'SESSION_INVALID')
    // The spare bits of the last character are part of the mac's one spelling.
    const last = mac.at(-1) === 'A' ? 'B' : 'A'
    const respelled = `v1.run-1.${mac.slice(0, -1)}${last}`
    refused(await ask(server, tokens.a, respelled, 'web.fetch', {}), 401, 'SESSION_INVALID')
  })

  it('refuses malformed headers and two headers', async () => {
    const server = await start()
    const good = await mint('agent:a', keys.a, 'run-1')
    const mac = good.split('.')[2] as string
    for (const header of [
      `v1.${'x'.repeat(129)}.${mac}`,
      `v1.a b.${mac}`,
      `v1.a|b.${mac}`,
      `v1..${mac}`,
      `v2.run-1.${mac}`,
      `v1.run-1.${mac}=`,
      'v1.run-1',
      '',
    ])
      refused(await ask(server, tokens.a, header, 'web.fetch', {}), 401, 'SESSION_INVALID')
    refused(await ask(server, tokens.a, [good, good], 'web.fetch', {}), 401, 'SESSION_INVALID')
    await expect(mint('agent:a', keys.a, 'x'.repeat(129))).rejects.toMatchObject({
      code: 'SESSION_INVALID',
    })
    await expect(mint('agent:a', keys.a, 'ä')).rejects.toMatchObject({ code: 'SESSION_INVALID' })
  })

  it('refuses a header for an agent without a session key', async () => {
    const server = await start()
    const header = await mint('agent:c', keys.a, 'run-1')
    refused(await ask(server, tokens.c, header, 'web.fetch', {}), 400, 'SESSION_NOT_ACCEPTED')
    expect((await ask(server, tokens.c, undefined, 'web.fetch', {})).body.decision).toBe('PERMIT')
  })

  it('still refuses a session in the body, with or without a valid header', async () => {
    const server = await start()
    const header = await mint('agent:a', keys.a, 'run-1')
    for (const session of [header, undefined])
      refused(
        await ask(server, tokens.a, session, 'web.fetch', {}, { session: 'fresh' }),
        400,
        'INPUT_SYNTAX',
      )
  })
})

describe('Writ-Session: sessions of one credential are apart', () => {
  it('the history of one session is not visible to another', async () => {
    const server = await start()
    const one = await mint('agent:a', keys.a, 'run-1')
    const two = await mint('agent:a', keys.a, 'run-2')
    const outside = { to: 'someone@elsewhere.example' }
    expect((await ask(server, tokens.a, one, 'web.fetch', {})).body.decision).toBe('PERMIT')
    const tainted = await ask(server, tokens.a, one, 'email.send', outside)
    expect([tainted.body.decision, tainted.body.reason]).toEqual(['DENY', 'SESSION_TAINTED'])
    expect((await ask(server, tokens.a, two, 'email.send', outside)).body.decision).toBe('PERMIT')
    // The credential's own session (no header) is a third one.
    expect((await ask(server, tokens.a, undefined, 'email.send', outside)).body.decision).toBe(
      'PERMIT',
    )
    // Agent B's session of the same id is B's, not A's.
    const bOne = await mint('agent:b', keys.b, 'run-1')
    expect((await ask(server, tokens.b, bOne, 'email.send', outside)).body.decision).toBe('PERMIT')
  })

  it('per: session limits count each session of one credential separately', async () => {
    const server = await start()
    const one = await mint('agent:a', keys.a, 'run-1')
    const two = await mint('agent:a', keys.a, 'run-2')
    const outcomes: string[] = []
    for (const session of [one, one, one, two, two, undefined]) {
      const answer = await ask(server, tokens.a, session, 'records.export', {})
      outcomes.push(`${answer.body.decision}:${answer.body.reason}`)
    }
    expect(outcomes).toEqual([
      'PERMIT:RULE_PERMIT',
      'PERMIT:RULE_PERMIT',
      'DENY:LIMIT_EXCEEDED',
      'PERMIT:RULE_PERMIT',
      'PERMIT:RULE_PERMIT',
      'PERMIT:RULE_PERMIT',
    ])
  })
})

describe('Writ-Session from the remote gate', () => {
  it('signs each request session, and the authority counts them apart', async () => {
    const server = await start()
    const remote = createRemoteGate({
      url: server.url,
      token: tokens.a,
      session: { agentId: 'agent:a', sessionKey: keys.a },
    })
    const decide = (session: string) =>
      remote.authorize({ action: 'records.export', args: {}, session })
    expect((await decide('run-1')).decision).toBe('PERMIT')
    expect((await decide('run-1')).decision).toBe('PERMIT')
    const third = await decide('run-1')
    expect([third.decision, third.reason]).toEqual(['DENY', 'LIMIT_EXCEEDED'])
    await expect(verifyReceipt(third.receipt, await remote.keys())).resolves.toBeDefined()
    expect((await decide('run-2')).decision).toBe('PERMIT')
    await expect(decide('not a session id')).rejects.toMatchObject({ code: 'SESSION_INVALID' })
  })

  it('passes on the refusal of a session key that is not the agent one', async () => {
    const server = await start()
    const wrong = createRemoteGate({
      url: server.url,
      token: tokens.a,
      session: { agentId: 'agent:a', sessionKey: keys.b, id: 'run-1' },
    })
    await expect(wrong.authorize({ action: 'web.fetch', args: {} })).rejects.toMatchObject({
      code: 'SESSION_INVALID',
    })
    expect(() =>
      createRemoteGate({
        url: server.url,
        token: tokens.a,
        session: { agentId: 'agent:a', sessionKey: 'short' },
      }),
    ).toThrow(expect.objectContaining({ code: 'GATE_ERROR' }))
  })
})
