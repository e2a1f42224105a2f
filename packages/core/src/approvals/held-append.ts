/**
 * Appending a held decision's receipt, whichever kind of key signs it. A key in memory
 * signs inside the store's transaction, on what the store saw (position, limits, the
 * hold's state). A key outside the process (PKCS#11, a cloud KMS) cannot answer there:
 * the receipt goes through the chain's signing lane, like every other receipt of the
 * chain, signed for the position and hold state predicted and written only if they are
 * what the store sees (otherwise signed again for what it saw, a few times at most).
 * Either way the receipt written is the one signed for the state it was written in.
 */
import { isAsyncSigner } from '../async-signer.js'
import { issueReceipt } from '../decide/issue-receipt.js'
import type { Outcome } from '../decide/outcome.js'
import type { SignedFor, SigningLane } from '../signing-lane.js'
import type { AppendOptions, Store, StoredReceipt } from '../types.js'

export type { SignedFor } from '../signing-lane.js'

/** The key that signs, as the receipt issuer takes it. */
export type HeldSigner = Parameters<typeof issueReceipt>[3]

/** Where and with what a held decision appends. */
export interface HeldAppend {
  readonly store: Store
  readonly chainId: string
  readonly signer: HeldSigner
  /** The chain's signing lane, shared with the gate's other decisions. */
  readonly lane: SigningLane
  /** How long an outside key may take to sign, in milliseconds. */
  readonly signerTimeoutMs: number
}

/** Appends the receipt `signedFor` gives for the store's state; resolves with it and its outcome. */
export async function appendHeld(
  target: HeldAppend,
  options: AppendOptions,
  signedFor: SignedFor,
): Promise<{ readonly stored: StoredReceipt; readonly signed: Outcome }> {
  const { store, chainId, signer } = target
  if (isAsyncSigner(signer)) {
    // The deadline runs on the lane's monotonic clock, whatever clock the gate has.
    const deadline = performance.now() + target.signerTimeoutMs
    return target.lane.appendHeld({ options, signedFor, signer, deadline })
  }
  let signed: Outcome | undefined
  const stored = await store.append(chainId, options, (context) => {
    const chosen = signedFor(context)
    signed = chosen.outcome
    return issueReceipt(chosen.draft, chosen.outcome, context.position, signer)
  })
  return { stored, signed: signed as Outcome }
}
