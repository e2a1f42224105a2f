/**
 * Group commit with a key in a PKCS#11 token: many decisions wait while the token signs
 * one receipt after another in each chain, several chains share the token and the file,
 * and every receipt lands in its chain unbroken, with the limits kept.
 */
import { join } from 'node:path'
import { compilePolicy, createGate, type Store } from '@writ/core'
import { paymentsPolicyTextWith } from '@writ/core/testing'
import { openPkcs11Signer, type Pkcs11Signer } from '@writ/signer-pkcs11'
import { createSqliteStore } from '@writ/store-sqlite'
import { verifyChain } from '@writ/verify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestToken, type TestToken } from '../support/softhsm.js'

let token: TestToken
let signer: Pkcs11Signer

beforeAll(async () => {
  token = await createTestToken('writ-group-commit')
  signer = await openPkcs11Signer({ uri: token.uri })
})
afterAll(async () => {
  await signer.close()
  token.dispose()
})

async function tokensOf(store: Store, chainId: string): Promise<string[]> {
  const tokens: string[] = []
  for await (const receipt of store.receipts(chainId)) tokens.push(receipt.token)
  return tokens
}

describe('SQLite group commit with a PKCS#11 signer', () => {
  it('keeps every chain whole and the limits kept, with several chains sharing the token', async () => {
    const store = createSqliteStore({ path: join(token.dir, 'writ.db'), groupCommit: true })
    const policy = compilePolicy(paymentsPolicyTextWith({ dailySpendLimit: 100 }), {
      source: 'payments.yaml',
    })
    const gates = ['hsm-0', 'hsm-1', 'hsm-2'].map((chainId) =>
      createGate({ policy, keys: signer, issuer: 'https://writ.test', store, chainId }),
    )
    const lookups = gates.flatMap((gate) =>
      Array.from({ length: 16 }, () =>
        gate.authorize({ action: 'accounts.lookup', args: { id: 'bob' } }),
      ),
    )
    // One agent's limit is shared by every chain of the file: 10 transfers of 10 fit in 100.
    const transfers = Array.from({ length: 12 }, (_, index) =>
      (gates[index % 3] as (typeof gates)[number]).authorize({
        action: 'payments.transfer',
        args: { to: 'bob', amount: 10 },
      }),
    )
    const decided = await Promise.all(transfers)
    expect(decided.filter((decision) => decision.decision === 'PERMIT')).toHaveLength(10)
    expect(decided.filter((decision) => decision.reason === 'DAILY_SPEND')).toHaveLength(2)
    expect((await Promise.all(lookups)).every((decision) => decision.decision === 'PERMIT')).toBe(
      true,
    )
    for (const gate of gates) {
      const tokens = await tokensOf(store, gate.chainId)
      expect(tokens).toHaveLength(20)
      await expect(verifyChain(tokens, gate.verifyKeys())).resolves.toMatchObject({
        valid: true,
        size: 20,
      })
    }
    expect(store.stats().appends).toBe(60)
    await store.close()
  })
})
