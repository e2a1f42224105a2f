import { createCheckpointTrust, verifyCheckpointNote } from '@writ/verify'
import { describe, expect, it } from 'vitest'
import { createTestAsyncSigner } from '../testing/async-signer-fixture.js'
import { createPaymentsGate } from '../testing/payments-fixture.js'
import { logVerifierKey, signCheckpointNote } from './checkpoint-note.js'

async function gateWithReceipts(signer: ReturnType<typeof createTestAsyncSigner>) {
  const gate = createPaymentsGate({ keys: signer })
  await gate.authorize({ action: 'payments.transfer', args: { to: 'bob', amount: 5 } })
  return gate
}

describe('checkpoint notes with a key outside the process', () => {
  it('signs a note that verifies under the log key', async () => {
    const signer = createTestAsyncSigner({ delayMs: 2 })
    const gate = await gateWithReceipts(signer)
    const signed = await signCheckpointNote({
      store: gate.store,
      chainId: gate.chainId,
      issuer: gate.issuer,
      signer,
      signerTimeoutMs: 2000,
    })
    expect(signed.vkey).toBe(logVerifierKey(gate.issuer, gate.chainId, signer.publicJwk))
    const verified = await verifyCheckpointNote(
      signed.note,
      createCheckpointTrust({ logs: [signed.vkey] }),
    )
    expect(verified.size).toBe(signed.size)
  })

  it.each([['hang'], ['reject']] as const)(
    'fails closed with SIGNER_UNAVAILABLE when the signer answers %s, and keeps no note',
    async (mode) => {
      const signer = createTestAsyncSigner()
      const gate = await gateWithReceipts(signer)
      signer.mode = mode
      await expect(
        signCheckpointNote({
          store: gate.store,
          chainId: gate.chainId,
          issuer: gate.issuer,
          signer,
          signerTimeoutMs: 100,
        }),
      ).rejects.toMatchObject({ code: 'SIGNER_UNAVAILABLE' })
      expect(await gate.store.latestCheckpointNote(gate.chainId)).toBeUndefined()
      signer.releaseHanging()
    },
  )
})
