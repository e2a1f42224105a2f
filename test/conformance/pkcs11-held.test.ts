/**
 * Held and plain decisions at once on one chain, with the key in a SoftHSM2 token: the
 * held ones take the chain's signing lane too, so none ends in STORE_CONFLICT and the
 * chain stays whole, with one PERMIT per approved hold.
 */
import { join } from 'node:path'
import { approvalSources, type Decision, type Store } from '@writ/core'
import { createApprovalsFixture } from '@writ/core/testing'
import { openPkcs11Signer, type Pkcs11Signer } from '@writ/signer-pkcs11'
import { createPostgresStore } from '@writ/store-postgres'
import { createSqliteStore } from '@writ/store-sqlite'
import { verifyChain } from '@writ/verify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type PgCluster, startPgCluster } from '../support/pg-cluster.mjs'
import { createTestToken, type TestToken } from '../support/softhsm.js'

let token: TestToken
let signer: Pkcs11Signer
let cluster: PgCluster | undefined
let url = process.env['WRIT_PG_URL'] ?? ''

beforeAll(async () => {
  token = await createTestToken('writ-held')
  signer = await openPkcs11Signer({ uri: token.uri, timeoutMs: 10_000 })
})
afterAll(async () => {
  await signer.close()
  token.dispose()
  cluster?.destroy()
})

/** The store of one case: the gate's memory store, a SQLite file, or a PostgreSQL schema. */
async function storeFor(kind: 'memory' | 'sqlite' | 'postgres'): Promise<{ store?: Store }> {
  if (kind === 'memory') return {}
  if (kind === 'sqlite') {
    return { store: createSqliteStore({ path: join(token.dir, 'held.db'), groupCommit: true }) }
  }
  if (!url) {
    cluster = await startPgCluster()
    url = cluster.url
  }
  const schema = `held_${process.pid}_${Date.now().toString(36)}`
  return { store: await createPostgresStore({ connectionString: url, schema, maxConnections: 8 }) }
}

async function tokensOf(store: Store, chainId: string): Promise<string[]> {
  const tokens: string[] = []
  for await (const receipt of store.receipts(chainId)) tokens.push(receipt.token)
  return tokens
}

const transfer = (to: string, amount: number) => ({
  action: 'payments.transfer',
  args: { to, amount },
})

describe('held and plain decisions on one chain with a PKCS#11 signer', () => {
  it.each([['memory'], ['sqlite'], ['postgres']] as const)(
    'all succeed at once and the %s chain verifies with its approvals',
    async (kind) => {
      const store = await storeFor(kind)
      const fixture = createApprovalsFixture({
        keys: signer,
        dailyLimit: 10_000_000,
        signerTimeoutMs: 20_000,
        timeoutMs: 60_000,
        ...store,
      })
      const { gate } = fixture
      const approved = await gate.authorize(transfer('acme', 20000))
      await gate.holds.submit(fixture.approve(approved.receipt, 'alice'))
      const settled = await Promise.allSettled([
        ...Array.from({ length: 8 }, (_, i) => gate.authorize(transfer(`shop-${i}`, 5))),
        ...Array.from({ length: 8 }, (_, i) => gate.authorize(transfer(`vendor-${i}`, 20000))),
        ...Array.from({ length: 3 }, () => gate.authorize(transfer('acme', 20000))),
      ])
      const codes = settled.flatMap((result) =>
        result.status === 'rejected' ? [(result.reason as { code?: string }).code] : [],
      )
      expect(codes).toEqual([])
      const decisions = settled.map((result) => (result as PromiseFulfilledResult<Decision>).value)
      expect(decisions.slice(0, 8).map((decision) => decision.decision)).toEqual(
        Array(8).fill('PERMIT'),
      )
      expect(decisions.slice(8, 16).map((decision) => decision.reason)).toEqual(
        Array(8).fill('APPROVAL_REQUIRED'),
      )
      expect(
        decisions
          .slice(16)
          .map((decision) => decision.reason)
          .sort(),
      ).toEqual(['APPROVAL_USED', 'APPROVAL_USED', 'APPROVED'])
      const tokens = await tokensOf(gate.store, gate.chainId)
      const report = await verifyChain(tokens, gate.verifyKeys(), {
        approvals: approvalSources(gate.store, fixture.directory),
      })
      expect(report).toMatchObject({ valid: true, size: 20 })
      if (kind !== 'memory') await gate.store.close?.()
    },
  )
})
