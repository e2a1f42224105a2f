/**
 * Writing approvals (spec section 11): the claims an approver signs for a hold, and the
 * compact JWS (`typ` `writ-approval+jwt`) signed with the approver's own Ed25519 key.
 */
import {
  type ApprovalClaims,
  type ApprovalVerdict,
  checkApprovalClaims,
  type ReceiptClaims,
} from '@writ/verify'
import { base64UrlEncode, utf8Encode } from '@writ/verify/internal'
import { parseSigningKey } from '../keys.js'
import { createSigner } from '../signer.js'

/** Options of {@link approvalClaimsFor}. */
export interface ApprovalClaimsOptions {
  /** Signing time, seconds since the epoch (default: now). */
  readonly now?: number
  /** How long the approval stays valid, in seconds (default 900, at most 86 400). */
  readonly ttlSeconds?: number
  /** A note for the record. */
  readonly note?: string
}

/**
 * The approval claims for the hold opened by the receipt with claims `hold`: bound to its
 * id, action, arguments, HTTP binding and agent.
 *
 * @example
 * ```ts
 * const view = await gate.holds.get(holdId)
 * const claims = approvalClaimsFor(decodeReceiptClaims(view.receipt), 'alice', 'approve')
 * await gate.holds.submit(signApproval(claims, aliceKey))
 * ```
 */
export function approvalClaimsFor(
  hold: Pick<ReceiptClaims, 'jti' | 'sub' | 'act' | 'http'>,
  approver: string,
  verdict: ApprovalVerdict,
  options: ApprovalClaimsOptions = {},
): ApprovalClaims {
  const iat = options.now ?? Math.floor(Date.now() / 1000)
  const ttl = Math.min(options.ttlSeconds ?? 900, 86_400)
  const claims: Record<string, unknown> = {
    v: 1,
    hold: hold.jti,
    act: { name: hold.act.name, args: hold.act.args },
  }
  if (hold.http !== undefined) claims['http'] = { ...hold.http }
  claims['sub'] = hold.sub
  claims['approver'] = approver
  claims['verdict'] = verdict
  claims['iat'] = iat
  claims['exp'] = iat + ttl
  if (options.note !== undefined && options.note.length > 0) claims['note'] = options.note
  return checkApprovalClaims(claims)
}

/**
 * Signs approval claims with the approver's private Ed25519 JWK (as written by
 * `writ approver keygen`): a compact JWS with header `{"alg":"EdDSA","typ":"writ-approval+jwt","kid"}`.
 *
 * @throws WritError `KEY_MISSING` or `KEY_INVALID` for a bad key; `CLAIMS_INVALID` for bad claims.
 */
export function signApproval(claims: ApprovalClaims, privateKey: unknown): string {
  const parsed = parseSigningKey(privateKey)
  const signer = createSigner(parsed.seed, parsed.publicJwk)
  const header = base64UrlEncode(
    utf8Encode(JSON.stringify({ alg: 'EdDSA', typ: 'writ-approval+jwt', kid: signer.kid })),
  )
  const payload = base64UrlEncode(utf8Encode(JSON.stringify(checkApprovalClaims(claims))))
  const signature = signer.sign(utf8Encode(`${header}.${payload}`))
  return `${header}.${payload}.${base64UrlEncode(signature)}`
}
