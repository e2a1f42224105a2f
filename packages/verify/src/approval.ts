/**
 * Approvals (spec section 11): a statement signed by one approver, with the approver's own
 * key, over exactly one hold. This module decodes and verifies one; whether it unlocks a
 * PERMIT (right group, not the agent, quorum, single use, lifetime) is the authority's and
 * the chain verifier's question.
 */
import { isPlainObject } from './canonicalize.js'
import { digestOf, isDigest } from './digest.js'
import { verifyEd25519 } from './ed25519.js'
import { WritError } from './errors.js'
import { decodeJws, requireTokenType } from './jws.js'
import { type KeySet, type KeySetInput, toKeySet } from './key-set.js'
import type { Digest, HttpBinding, JsonObject, PublicJwk } from './types.js'

/** An approver's verdict on a hold. */
export type ApprovalVerdict = 'approve' | 'reject'

/** The claims of an approval, exactly as in spec section 11. */
export interface ApprovalClaims {
  readonly v: 1
  /** The hold's id: the `jti` of the SILENCE receipt that opened it. */
  readonly hold: string
  /** The hold's `act`: action name and digest of the arguments. */
  readonly act: { readonly name: string; readonly args: Digest }
  /** The hold's `http`, for an HTTP action. */
  readonly http?: HttpBinding
  /** The agent whose action is held. */
  readonly sub: string
  /** The approver's id in the authority's configuration. */
  readonly approver: string
  readonly verdict: ApprovalVerdict
  readonly iat: number
  readonly exp: number
  /** A note for the record, at most 1024 characters. */
  readonly note?: string
}

/** Approver ids: `[A-Za-z0-9_.:@-]`, 1 to 128 characters. */
export const APPROVER_ID_PATTERN: RegExp = /^[A-Za-z0-9_.:@-]{1,128}$/

/** The longest note an approval may carry, in characters. */
export const MAX_APPROVAL_NOTE_LENGTH = 1024

/** What a verifier knows about one approver: the public keys published with its id. */
export interface ApproverKeys {
  /** The approver's Ed25519 public keys (for the JWS form). */
  readonly keys: KeySet | KeySetInput
  /** The approver's passkeys (for the WebAuthn form); opaque here. */
  readonly passkeys?: readonly unknown[]
}

/**
 * Verifies the WebAuthn form of an approval (a passkey assertion) and returns its claims,
 * still unchecked. Supplied by the caller that accepts passkeys.
 */
export type WebAuthnApprovalVerifier = (
  envelope: Readonly<JsonObject>,
  approver: ApproverKeys,
) => Promise<Readonly<JsonObject>> | Readonly<JsonObject>

/** Options of {@link verifyApproval}. */
export interface VerifyApprovalOptions {
  /** The published keys of an approver id, or `undefined` when the id is unknown. */
  readonly approver: (id: string) => ApproverKeys | undefined
  /** Verifies the WebAuthn form; without it that form is refused. */
  readonly webauthn?: WebAuthnApprovalVerifier
}

/** An approval whose signature, approver and claims have been verified. */
export interface VerifiedApproval {
  /** The approval as received. */
  readonly text: string
  readonly claims: ApprovalClaims
  /** `sha256:` of the UTF-8 bytes of the approval as received: what a PERMIT's `appr` names. */
  readonly digest: Digest
  readonly form: 'jws' | 'webauthn'
  /** The approver's key that signed it (JWS form). */
  readonly key?: PublicJwk
}

const APPROVAL_MEMBERS = [
  'v',
  'hold',
  'act',
  'http',
  'sub',
  'approver',
  'verdict',
  'iat',
  'exp',
  'note',
]
const OPTIONAL = new Set(['http', 'note'])

function invalid(path: string, message: string): WritError {
  return new WritError('CLAIMS_INVALID', message, { details: { path } })
}

function text(value: unknown, path: string, max = 1024): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > max) {
    throw invalid(path, `expected a string of 1 to ${max} characters`)
  }
  return value
}

function seconds(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(path, 'expected a non-negative integer (NumericDate)')
  }
  return value
}

function members(value: unknown, path: string, names: readonly string[]): Record<string, unknown> {
  if (!isPlainObject(value)) throw invalid(path, 'expected an object')
  for (const key of Object.keys(value)) {
    if (!names.includes(key)) throw invalid(`${path}/${key}`, `unknown member "${key}"`)
  }
  for (const name of names) {
    if (!Object.hasOwn(value, name)) throw invalid(`${path}/${name}`, `missing member "${name}"`)
  }
  return value
}

function digest(value: unknown, path: string): void {
  if (!isDigest(value)) throw invalid(path, 'expected "sha256:" and 64 lowercase hex digits')
}

/**
 * Checks approval claims against spec section 11, strictly: every member with its type,
 * no unknown member, `verdict` `approve` or `reject`, `exp >= iat`.
 *
 * @throws WritError `CLAIMS_INVALID` with `details.path`.
 */
export function checkApprovalClaims(claims: unknown): ApprovalClaims {
  if (!isPlainObject(claims)) throw invalid('', 'expected an object')
  for (const key of Object.keys(claims)) {
    if (!APPROVAL_MEMBERS.includes(key)) throw invalid(`/${key}`, `unknown claim "${key}"`)
  }
  for (const name of APPROVAL_MEMBERS) {
    if (!OPTIONAL.has(name) && !Object.hasOwn(claims, name))
      throw invalid(`/${name}`, `missing claim "${name}"`)
  }
  if (claims['v'] !== 1) throw invalid('/v', 'v must be 1')
  text(claims['hold'], '/hold', 256)
  const act = members(claims['act'], '/act', ['name', 'args'])
  text(act['name'], '/act/name', 256)
  digest(act['args'], '/act/args')
  if (Object.hasOwn(claims, 'http')) {
    const http = members(claims['http'], '/http', ['method', 'uri', 'body'])
    text(http['method'], '/http/method', 32)
    text(http['uri'], '/http/uri', 16_384)
    digest(http['body'], '/http/body')
  }
  text(claims['sub'], '/sub', 1024)
  const approver = text(claims['approver'], '/approver', 128)
  if (!APPROVER_ID_PATTERN.test(approver)) throw invalid('/approver', 'not an approver id')
  if (claims['verdict'] !== 'approve' && claims['verdict'] !== 'reject')
    throw invalid('/verdict', 'verdict must be "approve" or "reject"')
  const iat = seconds(claims['iat'], '/iat')
  const exp = seconds(claims['exp'], '/exp')
  if (exp < iat) throw invalid('/exp', 'exp must not be before iat')
  if (Object.hasOwn(claims, 'note')) text(claims['note'], '/note', MAX_APPROVAL_NOTE_LENGTH)
  return claims as unknown as ApprovalClaims
}

/** The digest a PERMIT's `appr` carries for an approval: SHA-256 of its UTF-8 bytes as received. */
export function approvalDigest(approval: string): Digest {
  return digestOf(approval)
}

/**
 * Verifies one approval: its form (a compact JWS with `typ` `writ-approval+jwt`, or a
 * WebAuthn envelope, a JSON object with `"type":"webauthn"`), the approver it names (known
 * to `options.approver`), the signature under that approver's own published key, and its
 * claims. It does not check the hold, the group, the agent or the time: those are the
 * authority's checks when it records the approval, and the chain verifier's afterwards.
 *
 * Checks run in this order and the first failure is thrown: `MALFORMED`, `HEADER_INVALID`,
 * `CLAIMS_INVALID` (the `approver` member), `APPROVER_UNKNOWN`, `KEY_UNKNOWN`, `KEY_WEAK`,
 * `KEY_REVOKED`, `KEY_NOT_VALID_AT_TIME`, `SIGNATURE_INVALID`, `CLAIMS_INVALID`;
 * `APPROVAL_FORM_UNSUPPORTED` for a WebAuthn envelope without `options.webauthn`.
 *
 * @example
 * ```ts
 * const approval = await verifyApproval(text, { approver: (id) => published[id] })
 * console.log(approval.claims.approver, approval.claims.verdict, approval.digest)
 * ```
 */
export async function verifyApproval(
  approval: string,
  options: VerifyApprovalOptions,
): Promise<VerifiedApproval> {
  if (typeof approval !== 'string' || approval.length === 0) {
    throw new WritError('MALFORMED', 'an approval is a non-empty string')
  }
  if (approval.startsWith('{')) return verifyWebAuthnForm(approval, options)
  const decoded = decodeJws(approval)
  requireTokenType(decoded, 'writ-approval+jwt')
  const approverId = decoded.claims['approver']
  if (typeof approverId !== 'string') throw invalid('/approver', 'missing approver')
  const approver = options.approver(approverId)
  if (approver === undefined) {
    throw new WritError('APPROVER_UNKNOWN', `no approver "${approverId}" is configured`, {
      details: { approver: approverId },
    })
  }
  const trusted = toKeySet(approver.keys).resolve(decoded.header.kid, decoded.claims['iat'])
  if (!(await verifyEd25519(decoded.signature, decoded.signingInput, trusted.publicKey))) {
    throw new WritError(
      'SIGNATURE_INVALID',
      "the approval's signature does not verify under the approver's key",
      { details: { kid: decoded.header.kid, approver: approverId } },
    )
  }
  return Object.freeze({
    text: approval,
    claims: checkApprovalClaims(decoded.claims),
    digest: approvalDigest(approval),
    form: 'jws',
    key: trusted.jwk,
  })
}

async function verifyWebAuthnForm(
  approval: string,
  options: VerifyApprovalOptions,
): Promise<VerifiedApproval> {
  let envelope: unknown
  try {
    envelope = JSON.parse(approval)
  } catch (error) {
    throw new WritError('MALFORMED', 'the approval is not JSON', { cause: error })
  }
  if (!isPlainObject(envelope) || envelope['type'] !== 'webauthn') {
    throw new WritError('MALFORMED', 'a JSON approval must be a WebAuthn envelope')
  }
  if (options.webauthn === undefined) {
    throw new WritError('APPROVAL_FORM_UNSUPPORTED', 'passkey approvals are not accepted here')
  }
  const claimed = isPlainObject(envelope['claims']) ? envelope['claims']['approver'] : undefined
  if (typeof claimed !== 'string') throw invalid('/approver', 'missing approver')
  const approver = options.approver(claimed)
  if (approver === undefined) {
    throw new WritError('APPROVER_UNKNOWN', `no approver "${claimed}" is configured`, {
      details: { approver: claimed },
    })
  }
  const claims = checkApprovalClaims(
    await options.webauthn(envelope as Readonly<JsonObject>, approver),
  )
  if (claims.approver !== claimed) throw invalid('/approver', 'the approver changed')
  return Object.freeze({
    text: approval,
    claims,
    digest: approvalDigest(approval),
    form: 'webauthn',
  })
}

/**
 * True when `approval` is about exactly the hold opened by the receipt `hold`: the same hold
 * id (`jti`), action, argument digest, HTTP binding and agent (spec section 11).
 */
export function approvalMatchesHold(
  approval: ApprovalClaims,
  hold: {
    readonly jti: string
    readonly sub: string
    readonly act: ApprovalClaims['act']
    readonly http?: HttpBinding
  },
): boolean {
  const left = approval.http
  const right = hold.http
  const sameHttp =
    left === undefined || right === undefined
      ? left === right
      : left.method === right.method && left.uri === right.uri && left.body === right.body
  return (
    approval.hold === hold.jti &&
    approval.sub === hold.sub &&
    approval.act.name === hold.act.name &&
    approval.act.args === hold.act.args &&
    sameHttp
  )
}
