/**
 * The keys the shared conformance suites sign with: in memory by default, or in a
 * throwaway SoftHSM2 token, so the same cases prove that nothing depends on the key
 * being in the process.
 */
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import type { AsyncSigner } from '@writ/core'
import { openPkcs11Signer } from '@writ/signer-pkcs11'
import { createTestToken, SOFTHSM_MODULE } from '../support/softhsm.js'

/**
 * Whether the suites can make a SoftHSM2 token here: `present`; `required` when it is
 * missing but the run is CI's, whose set-up installs it (the suite fails, never skips);
 * `absent` on a developer's machine without it.
 */
export function tokenSupport(): 'present' | 'required' | 'absent' {
  if (existsSync(SOFTHSM_MODULE) && hasSoftHsmUtil()) return 'present'
  return process.env['CI'] === 'true' || process.env['CI'] === '1' ? 'required' : 'absent'
}

function hasSoftHsmUtil(): boolean {
  try {
    execFileSync('softhsm2-util', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

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
