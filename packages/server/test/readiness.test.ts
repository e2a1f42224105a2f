import { compilePolicy, createGate, createKeyRing, generateSigningKey } from '@writ/core'
import { describe, expect, it } from 'vitest'
import { createAuthorityServer } from '../src/index.js'

const policy = compilePolicy('writ: 1\nid: ready\nrules: []\n')

describe('/readyz and the signing key window', () => {
  it('is 503 KEY_INVALID while the active key is outside its nbf/exp, as decisions are', async () => {
    const now = Math.floor(Date.now() / 1000)
    const expired = createKeyRing(generateSigningKey({ nbf: now - 600, exp: now - 300 }))
    const gate = createGate({ policy, keys: expired, issuer: 'http://127.0.0.1' })
    const server = createAuthorityServer({ gate, agents: [] })
    const ready = await server.app.fetch(new Request('http://127.0.0.1/readyz'))
    expect(ready.status).toBe(503)
    expect(((await ready.json()) as { code: string }).code).toBe('KEY_INVALID')
    gate.setKeyRing(createKeyRing(generateSigningKey({ nbf: now - 1 })))
    expect((await server.app.fetch(new Request('http://127.0.0.1/readyz'))).status).toBe(200)
  })
})
