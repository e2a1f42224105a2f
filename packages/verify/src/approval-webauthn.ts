/**
 * Approvals signed with a passkey (spec section 11, WebAuthn form). The approver's
 * authenticator signs `authenticatorData || SHA-256(clientDataJSON)`, and clientDataJSON's
 * `challenge` is the SHA-256 of the RFC 8785 bytes of the approval claims: so the passkey's
 * signature covers exactly those claims. Everything needed to check it again is in the
 * envelope and the approver's published COSE key, so a chain verifier or an audit bundle
 * re-checks it offline, in Node or in a browser (WebCrypto).
 *
 * Checks, in order: the envelope's shape (`MALFORMED`); the claims (`CLAIMS_INVALID`); the
 * credential is one of the approver's passkeys (`APPROVER_UNKNOWN`); the signature under
 * its key (`SIGNATURE_INVALID`); clientDataJSON is a `webauthn.get` for these claims, from an
 * accepted origin, and authenticatorData names the relying party with user presence and
 * verification (`APPROVAL_MISMATCH`).
 */
import type { ApprovalClaims, ApproverKeys, WebAuthnApprovalVerifier } from './approval.js'
import { checkApprovalClaims } from './approval.js'
import { canonicalize, isPlainObject } from './canonicalize.js'
import { decodeCoseKey } from './cose-key.js'
import { sha256 } from './digest.js'
import {
  base64UrlDecode,
  base64UrlEncode,
  bytesEqual,
  concatBytes,
  utf8Decode,
} from './encoding.js'
import { WritError } from './errors.js'
import type { JsonObject } from './types.js'

/** A passkey registered for an approver: credential id and COSE public key, both base64url. */
export interface RegisteredPasskey {
  readonly id: string
  readonly publicKey: string
  readonly counter?: number | undefined
}

/** The WebAuthn form of an approval, as submitted and stored (RFC 8785 JSON text). */
export interface WebAuthnApprovalEnvelope {
  readonly type: 'webauthn'
  readonly claims: ApprovalClaims
  /** The passkey's credential id, base64url. */
  readonly credentialId: string
  /** The assertion's parts, base64url, exactly as the authenticator returned them. */
  readonly authenticatorData: string
  readonly clientDataJSON: string
  readonly signature: string
}

/** Where passkey approvals may come from: the relying party id and the page origins. */
export interface WebAuthnApprovalOptions {
  /** The relying party id the passkeys were registered for (a host name, e.g. `writ.example.com`). */
  readonly rpId: string
  /** The origins of the approvals page (e.g. `https://writ.example.com`). */
  readonly origins: readonly string[]
  /** Require the user-verified flag (PIN or biometrics). Default `true`. */
  readonly requireUserVerification?: boolean
}

/** A passkey approval that verified: its claims, and the credential and counter that signed. */
export interface VerifiedWebAuthnApproval {
  readonly claims: ApprovalClaims
  readonly credentialId: string
  /** The authenticator's signature counter (0 when the authenticator keeps none). */
  readonly counter: number
}

const ENVELOPE_MEMBERS = [
  'type',
  'claims',
  'credentialId',
  'authenticatorData',
  'clientDataJSON',
  'signature',
] as const

const FLAG_USER_PRESENT = 0x01
const FLAG_USER_VERIFIED = 0x04

/** The WebAuthn challenge for approval claims: SHA-256 of their RFC 8785 bytes. */
export function approvalChallenge(claims: ApprovalClaims | Readonly<JsonObject>): Uint8Array {
  return sha256(canonicalize(claims))
}

/**
 * The approval as received, for a passkey assertion over `claims`: the RFC 8785 text of the
 * envelope. This text is what the authority stores and what a PERMIT's `appr` digests.
 */
export function webAuthnApprovalText(envelope: WebAuthnApprovalEnvelope): string {
  return canonicalize(envelope)
}

function malformed(message: string): WritError {
  return new WritError('MALFORMED', `WebAuthn approval: ${message}`)
}

function mismatch(message: string, details: Record<string, unknown> = {}): WritError {
  return new WritError('APPROVAL_MISMATCH', `WebAuthn approval: ${message}`, { details })
}

function readEnvelope(value: unknown): {
  envelope: WebAuthnApprovalEnvelope
  authenticatorData: Uint8Array
  clientData: Uint8Array
  signature: Uint8Array
} {
  if (!isPlainObject(value)) throw malformed('not an object')
  for (const key of Object.keys(value)) {
    if (!(ENVELOPE_MEMBERS as readonly string[]).includes(key)) malformedMember(key)
  }
  if (value['type'] !== 'webauthn') throw malformed('type must be "webauthn"')
  const decoded: Record<string, Uint8Array> = {}
  for (const name of ['credentialId', 'authenticatorData', 'clientDataJSON', 'signature']) {
    const text = value[name]
    if (typeof text !== 'string' || text.length === 0 || text.length > 16_384) {
      throw malformed(`${name} must be base64url`)
    }
    decoded[name] = base64UrlDecode(text)
  }
  const claims = checkApprovalClaims(value['claims'])
  return {
    envelope: { ...(value as unknown as WebAuthnApprovalEnvelope), claims },
    authenticatorData: decoded['authenticatorData']!,
    clientData: decoded['clientDataJSON']!,
    signature: decoded['signature']!,
  }
}

function malformedMember(key: string): never {
  throw malformed(`unknown member "${key}"`)
}

function passkeyOf(passkeys: readonly unknown[], credentialId: string): RegisteredPasskey {
  for (const passkey of passkeys) {
    if (
      isPlainObject(passkey) &&
      passkey['id'] === credentialId &&
      typeof passkey['publicKey'] === 'string'
    ) {
      return passkey as unknown as RegisteredPasskey
    }
  }
  throw new WritError('APPROVER_UNKNOWN', 'WebAuthn approval: the passkey is not registered', {
    details: { credentialId },
  })
}

function checkClientData(
  clientData: Uint8Array,
  claims: ApprovalClaims,
  options: WebAuthnApprovalOptions,
): void {
  let parsed: unknown
  try {
    parsed = JSON.parse(utf8Decode(clientData))
  } catch {
    throw malformed('clientDataJSON is not JSON')
  }
  if (!isPlainObject(parsed)) throw malformed('clientDataJSON is not an object')
  if (parsed['type'] !== 'webauthn.get') throw mismatch('not an assertion (webauthn.get)')
  if (parsed['challenge'] !== base64UrlEncode(approvalChallenge(claims))) {
    throw mismatch('the passkey signed other claims', { hold: claims.hold })
  }
  if (typeof parsed['origin'] !== 'string' || !options.origins.includes(parsed['origin'])) {
    throw mismatch('the assertion comes from an origin that is not accepted', {
      origin: parsed['origin'],
    })
  }
  if (parsed['crossOrigin'] === true)
    throw mismatch('the assertion was made in a cross-origin frame')
}

function checkAuthenticatorData(
  authenticatorData: Uint8Array,
  options: WebAuthnApprovalOptions,
): number {
  if (authenticatorData.length < 37) throw malformed('authenticatorData is too short')
  if (!bytesEqual(authenticatorData.subarray(0, 32), sha256(options.rpId))) {
    throw mismatch('the passkey belongs to another relying party', { rpId: options.rpId })
  }
  const flags = authenticatorData[32]!
  if ((flags & FLAG_USER_PRESENT) === 0) throw mismatch('the approver was not present')
  if (options.requireUserVerification !== false && (flags & FLAG_USER_VERIFIED) === 0) {
    throw mismatch('the approver was not verified (PIN or biometrics)')
  }
  const view = new DataView(authenticatorData.buffer, authenticatorData.byteOffset + 33, 4)
  return view.getUint32(0)
}

/**
 * Verifies a passkey approval against the approver's registered passkeys, offline.
 * It checks who signed what; the hold, group, agent and time are checked by the authority
 * (and by the chain verifier afterwards), as for the JWS form.
 *
 * @throws WritError `MALFORMED`, `CLAIMS_INVALID`, `APPROVER_UNKNOWN`, `SIGNATURE_INVALID` or
 *   `APPROVAL_MISMATCH`, in the order of the module's checks.
 * @example
 * ```ts
 * const { claims } = await verifyWebAuthnApproval(JSON.parse(text), approver.passkeys, {
 *   rpId: 'writ.example.com',
 *   origins: ['https://writ.example.com'],
 * })
 * ```
 */
export async function verifyWebAuthnApproval(
  envelope: unknown,
  passkeys: readonly unknown[],
  options: WebAuthnApprovalOptions,
): Promise<VerifiedWebAuthnApproval> {
  const read = readEnvelope(envelope)
  const passkey = passkeyOf(passkeys, read.envelope.credentialId)
  const key = decodeCoseKey(base64UrlDecode(passkey.publicKey))
  const clientDataHash = sha256(read.clientData)
  const signed = concatBytes(
    [read.authenticatorData, clientDataHash],
    read.authenticatorData.length + clientDataHash.length,
  )
  if (!(await key.verify(read.signature, signed))) {
    throw new WritError(
      'SIGNATURE_INVALID',
      "WebAuthn approval: the passkey's signature is invalid",
      {
        details: { credentialId: passkey.id },
      },
    )
  }
  checkClientData(read.clientData, read.envelope.claims, options)
  const counter = checkAuthenticatorData(read.authenticatorData, options)
  return Object.freeze({ claims: read.envelope.claims, credentialId: passkey.id, counter })
}

/**
 * The `webauthn` option of `verifyApproval`: accepts passkey approvals from these origins.
 *
 * @example
 * ```ts
 * await verifyApproval(text, {
 *   approver: (id) => directory.keysOf(id),
 *   webauthn: webAuthnApprovalVerifier({ rpId: 'writ.example.com', origins: ['https://writ.example.com'] }),
 * })
 * ```
 */
export function webAuthnApprovalVerifier(
  options: WebAuthnApprovalOptions,
): WebAuthnApprovalVerifier {
  const settings = Object.freeze({ ...options, origins: [...options.origins] })
  return async (envelope: Readonly<JsonObject>, approver: ApproverKeys) => {
    const verified = await verifyWebAuthnApproval(envelope, approver.passkeys ?? [], settings)
    return verified.claims as unknown as Readonly<JsonObject>
  }
}
