/**
 * The authority with its key in a SoftHSM2 token: the HTTP server answers decisions
 * signed in the token and a 503 SIGNER_UNAVAILABLE while the token hangs; several
 * instances on one PostgreSQL keep their chains whole and their shared limit exact.
 */
import { compilePolicy, createGate } from '@writ/core'
import { paymentsPolicyTextWith } from '@writ/core/testing'
import { createAuthorityServer, hashToken } from '@writ/server'
import { openPkcs11Signer, type Pkcs11Signer } from '@writ/signer-pkcs11'
import { createPostgresStore } from '@writ/store-postgres'
import { verifyChain, verifyReceipt } from '@writ/verify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type PgCluster, startPgCluster } from '../support/pg-cluster.mjs'
import { createTestToken, type TestToken } from '../support/softhsm.js'

let token: TestToken
let signer: Pkcs11Signer
let cluster: PgCluster | undefined
let url = process.env['WRIT_PG_URL'] ?? ''

beforeAll(async () => {
  token = await createTestToken('writ-authority')
  signer = await openPkcs11Signer({ uri: token.uri, timeoutMs: 5000 })
  if (!url) {
    cluster = await startPgCluster()
    url = cluster.url
  }
})
afterAll(async () => {
  await signer.close()
  token.dispose()
  cluster?.destroy()
})

const policy = () =>
  compilePolicy(paymentsPolicyTextWith({ dailySpendLimit: 100 }), { source: 'payments.yaml' })
const agentToken = 'writ_agent_token_for_the_pkcs11_authority_0123456789'

describe('the authority server with a PKCS#11 signer', () => {
  it('answers with receipts signed in the token, and 503 SIGNER_UNAVAILABLE while it hangs', async () => {
    const gate = createGate({
      policy: policy(),
      keys: signer,
      issuer: 'https://authority.test',
      signerTimeoutMs: 20_000,
      timeoutMs: 40_000,
    })
    const server = createAuthorityServer({
      gate,
      agents: [{ agent: 'agent:payer', tokenSha256: hashToken(agentToken) }],
    })
    const decide = () =>
      server.app.fetch(
        new Request('http://authority.test/v1/decisions', {
          method: 'POST',
          headers: { authorization: `Bearer ${agentToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ action: 'accounts.lookup', args: JSON.stringify({ id: 'bob' }) }),
        }),
      )
    const first = await decide()
    expect(first.status).toBe(200)
    const body = (await first.json()) as { receipt: string }
    await expect(verifyReceipt(body.receipt, gate.verifyKeys())).resolves.toMatchObject({
      header: { kid: token.publicJwk.kid },
    })
    process.kill(signer.processId as number, 'SIGSTOP')
    const refused = await decide()
    expect(refused.status).toBe(503)
    expect(await refused.json()).toMatchObject({ code: 'SIGNER_UNAVAILABLE' })
    const recovered = await decide()
    expect(recovered.status).toBe(200)
  })
})

describe('several instances on one PostgreSQL, one token', () => {
  it('keeps one whole chain per instance and the shared limit exact', async () => {
    const schema = `pkcs11_${process.pid}_${Date.now().toString(36)}`
    const stores = await Promise.all(
      [0, 1, 2].map(() =>
        createPostgresStore({ connectionString: url, schema, maxConnections: 8 }),
      ),
    )
    const gates = stores.map((store, index) =>
      createGate({
        policy: policy(),
        keys: signer,
        issuer: 'https://writ.test',
        store,
        chainId: `instance-${index}`,
        timeoutMs: 30_000,
      }),
    )
    const decisions = await Promise.all(
      Array.from({ length: 15 }, (_, index) =>
        (gates[index % 3] as (typeof gates)[number]).authorize({
          action: 'payments.transfer',
          args: { to: 'bob', amount: 10 },
        }),
      ),
    )
    expect(decisions.filter((decision) => decision.decision === 'PERMIT')).toHaveLength(10)
    expect(decisions.filter((decision) => decision.reason === 'DAILY_SPEND')).toHaveLength(5)
    for (const [index, store] of stores.entries()) {
      const tokens: string[] = []
      for await (const receipt of store.receipts(`instance-${index}`)) tokens.push(receipt.token)
      await expect(verifyChain(tokens, gates[index]!.verifyKeys())).resolves.toMatchObject({
        valid: true,
        size: 5,
      })
    }
    for (const store of stores) await store.close()
  })
})
