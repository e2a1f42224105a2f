/**
 * Step four of deciding: the receipt's content, fixed before the append, and the signed
 * receipt the store asks for once it knows the chain position and the limits' verdict.
 */
import { WritError } from '@writ/verify'
import type { AnySigner } from '../async-signer.js'
import type { CompiledPolicy } from '../policy/index.js'
import { encodeReceipt, outcomeClaims, type ReceiptContent } from '../receipt-issuer.js'
import type { ChainPosition, IssuedReceipt } from '../types.js'
import type { NormalizedRequest } from './normalize-request.js'
import type { Outcome } from './outcome.js'

/** Everything a receipt says apart from its outcome and its place in the chain. */
export type ReceiptDraft = Omit<ReceiptContent, keyof Outcome>

/** Where a draft's gate-side members come from. */
export interface DraftSettings {
  readonly issuer: string
  /** The receipt's own id (`jti`). */
  readonly jti: string
  /** The decision time, in seconds since the epoch. */
  readonly iat: number
  readonly ttlSeconds: number
  readonly policy: CompiledPolicy
}

/** The content of the receipt for `request`, decided under `settings.policy` at `iat`. */
export function draftReceipt(request: NormalizedRequest, settings: DraftSettings): ReceiptDraft {
  return {
    iss: settings.issuer,
    jti: settings.jti,
    iat: settings.iat,
    exp: settings.iat + settings.ttlSeconds,
    sub: request.agent,
    aud: request.audience,
    req: request.req,
    policy: { id: settings.policy.id, digest: settings.policy.digest },
    act: { name: request.signedName, args: request.argsDigest },
    http: request.http,
    refs: request.refs,
  }
}

/**
 * Signs `draft` with `outcome` at `position`, with a synchronous signer (an asynchronous one
 * fails with `SIGNER_UNAVAILABLE`: the gate signs those before the append). The claims come back frozen: a receipt never
 * changes once signed. Only a PERMIT reserves the limits it was checked against.
 *
 * @throws WritError `KEY_INVALID` when the signing key is not valid at the decision time.
 */
export function issueReceipt(
  draft: ReceiptDraft,
  outcome: Outcome,
  position: ChainPosition,
  signer: AnySigner,
): IssuedReceipt {
  checkKeyValidAt(signer, draft.iat)
  // Read from the draft and the outcome as they are: merging them first would copy both.
  const claims = outcomeClaims(draft, outcome, {
    id: position.chainId,
    seq: position.seq,
    prev: position.prev,
  })
  return {
    token: encodeReceipt(claims, signer),
    claims,
    reserve: outcome.decision === 'PERMIT',
  }
}

/** @throws WritError `KEY_INVALID` when `signer`'s key is not valid at `iat` (seconds). */
export function checkKeyValidAt(signer: AnySigner, iat: number): void {
  const key = signer.publicJwk
  if ((key.nbf !== undefined && iat < key.nbf) || (key.exp !== undefined && iat > key.exp)) {
    throw new WritError('KEY_INVALID', 'The active key is not valid at the decision time.', {
      details: { kid: signer.kid, iat },
    })
  }
}
