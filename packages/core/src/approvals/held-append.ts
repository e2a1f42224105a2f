/**
 * Appending a held decision's receipt, whichever kind of key signs it. A key in memory
 * signs inside the store's transaction, on what the store saw (position, limits, the
 * hold's state). A key outside the process (PKCS#11, a cloud KMS) cannot answer there:
 * the receipt is signed before the append for the position and hold state predicted, and
 * the store writes it only if they are what it sees; otherwise it is signed again for
 * what the store saw, a few times at most. Either way the receipt written is the one
 * signed for the state it was written in.
 */
import { WritError } from '@writ/verify'
import { type AsyncSigner, isAsyncSigner, signBefore } from '../async-signer.js'
import { checkKeyValidAt, issueReceipt, type ReceiptDraft } from '../decide/issue-receipt.js'
import type { Outcome } from '../decide/outcome.js'
import { joinSignature, receiptClaims, receiptSigningInput } from '../receipt-issuer.js'
import type { AppendContext, AppendOptions, IssuedReceipt, Store, StoredReceipt } from '../types.js'

/** The key that signs, as the receipt issuer takes it. */
export type HeldSigner = Parameters<typeof issueReceipt>[3]

/** What a held decision signs for one state of the store: the outcome, and the receipt's content. */
export type SignedFor = (context: AppendContext) => {
  readonly outcome: Outcome
  readonly draft: ReceiptDraft
}

/** Where and with what a held decision appends. */
export interface HeldAppend {
  readonly store: Store
  readonly chainId: string
  readonly signer: HeldSigner
  /** How long an outside key may take to sign, in milliseconds. */
  readonly signerTimeoutMs: number
}

const MAX_ATTEMPTS = 4

/** Appends the receipt `signedFor` gives for the store's state; resolves with it and its outcome. */
export async function appendHeld(
  target: HeldAppend,
  options: AppendOptions,
  signedFor: SignedFor,
): Promise<{ readonly stored: StoredReceipt; readonly signed: Outcome }> {
  const { store, chainId, signer } = target
  if (!isAsyncSigner(signer)) {
    let signed: Outcome | undefined
    const stored = await store.append(chainId, options, (context) => {
      const chosen = signedFor(context)
      signed = chosen.outcome
      return issueReceipt(chosen.draft, chosen.outcome, context.position, signer)
    })
    return { stored, signed: signed as Outcome }
  }
  const deadline = Date.now() + target.signerTimeoutMs
  let predicted: AppendContext = {
    position: await store.head(chainId),
    exceeded: null,
    ...(options.closeHold === undefined ? {} : { hold: 'open' as const }),
  }
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const chosen = signedFor(predicted)
    const issued = await signAhead(chosen, predicted, signer, deadline)
    let seen: AppendContext | undefined
    try {
      const stored = await store.append(chainId, options, (context) => {
        if (sameState(context, predicted)) return issued
        seen = context
        throw new WritError('STORE_CONFLICT', 'The store moved while the receipt was signed.')
      })
      return { stored, signed: chosen.outcome }
    } catch (error) {
      if (seen === undefined) throw error
      predicted = seen
    }
  }
  throw new WritError('STORE_CONFLICT', 'The chain kept moving while the receipt was signed.', {
    details: { chainId },
  })
}

async function signAhead(
  chosen: ReturnType<SignedFor>,
  context: AppendContext,
  signer: AsyncSigner,
  deadline: number,
): Promise<IssuedReceipt> {
  const { position } = context
  checkKeyValidAt(signer, chosen.draft.iat)
  const claims = receiptClaims(
    { ...chosen.draft, ...chosen.outcome },
    { id: position.chainId, seq: position.seq, prev: position.prev },
  )
  const input = receiptSigningInput(claims, signer)
  const signature = await signBefore(signer, input.bytes, deadline)
  return {
    token: joinSignature(input, signature),
    claims,
    reserve: chosen.outcome.decision === 'PERMIT',
  }
}

/** True when the store sees the position, limit verdict and hold state the receipt was signed for. */
function sameState(seen: AppendContext, predicted: AppendContext): boolean {
  return (
    seen.position.chainId === predicted.position.chainId &&
    seen.position.seq === predicted.position.seq &&
    seen.position.prev === predicted.position.prev &&
    (seen.exceeded?.key ?? null) === (predicted.exceeded?.key ?? null) &&
    (seen.hold ?? undefined) === (predicted.hold ?? undefined)
  )
}
