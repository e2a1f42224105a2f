/**
 * The keys the shared conformance suites sign with: in memory by default, or in a
 * throwaway SoftHSM2 token, so the same cases prove that nothing depends on the key
 * being in the process.
 */
import type { AsyncSigner } from '@writ/core'
import { openPkcs11Signer } from '@writ/signer-pkcs11'
import { createTestToken } from '../support/softhsm.js'

/** An open signer and how to release it. */
export interface ConformanceSigner {
  readonly signer: AsyncSigner
  close(): Promise<void>
}

/** A signer whose key is in a new SoftHSM2 token, made for this suite. */
export async function signerFor(kind: 'pkcs11'): Promise<ConformanceSigner> {
  if (kind !== 'pkcs11') throw new Error(`unknown conformance signer ${String(kind)}`)
  const token = await createTestToken('writ-conformance')
  const signer = await openPkcs11Signer({ uri: token.uri, timeoutMs: 10_000 })
  return {
    signer,
    async close() {
      await signer.close()
      token.dispose()
    },
  }
}
