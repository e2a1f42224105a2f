/**
 * Two size limits, two answers, as the README says: arguments over the gate's 1 MiB
 * limit inside a body the server accepts are decided DENY `INPUT_TOO_LARGE` with a
 * receipt (200); a body over `maxBodyBytes` is refused before any decision (413
 * `BODY_TOO_LARGE`, no receipt).
 */
import { compilePolicy, createGate, createMemoryStore, generateSigningKey } from '@writ/core'
import { createKeySet, verifyReceipt } from '@writ/verify'
import { describe, expect, it } from 'vitest'
import { createAuthorityServer, hashToken } from '../src/index.js'

const token = 'size-token-0123456789abcdef'

function authority() {
  const keys = generateSigningKey()
  const gate = createGate({
    policy: compilePolicy(
      'writ: 1\nid: sizes\nrules:\n  - id: all\n    effect: permit\n    actions: [files.write]\n',
      { source: 'policy.yaml' },
    ),
    keys,
    issuer: 'https://authority.test',
    store: createMemoryStore(),
    chainId: 'sizes',
  })
  const server = createAuthorityServer({
    gate,
    agents: [{ agent: 'agent:writer', tokenSha256: hashToken(token) }],
  })
  return { server, gate }
}

const decide = (server: ReturnType<typeof createAuthorityServer>, body: string) =>
  server.app.fetch(
    new Request('http://authority.test/v1/decisions', {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
    }),
  )

describe('size limits', () => {
  it('decides arguments over 1 MiB in an accepted body DENY INPUT_TOO_LARGE, with a receipt', async () => {
    const { server, gate } = authority()
    const args = JSON.stringify({ text: 'x'.repeat(1024 * 1024 + 16) })
    const response = await decide(server, JSON.stringify({ action: 'files.write', args }))
    expect(response.status).toBe(200)
    const body = (await response.json()) as {
      decision: string
      reason: string
      receipt: string
      problem?: { code: string }
    }
    expect(body).toMatchObject({
      decision: 'DENY',
      reason: 'INPUT_INVALID',
      problem: { code: 'INPUT_TOO_LARGE' },
    })
    const verified = await verifyReceipt(body.receipt, createKeySet(await gate.keys()))
    expect(verified.claims.decision).toBe('DENY')
  })

  it('refuses a body over maxBodyBytes with 413 BODY_TOO_LARGE and no receipt', async () => {
    const { server, gate } = authority()
    const args = JSON.stringify({ text: 'x'.repeat(2 * 1024 * 1024) })
    const response = await decide(server, JSON.stringify({ action: 'files.write', args }))
    expect(response.status).toBe(413)
    expect(response.headers.get('content-type')).toBe('application/problem+json')
    expect(((await response.json()) as { code: string }).code).toBe('BODY_TOO_LARGE')
    expect((await gate.store.head('sizes')).seq).toBe(0)
  })
})
