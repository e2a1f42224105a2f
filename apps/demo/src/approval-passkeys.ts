/**
 * Passkeys in the demo: Dana registers one in this browser (a demo shortcut: no
 * enrollment link; `writ serve`'s approvals page issues one-time links), then approves
 * with it. The approval is the WebAuthn form of spec section 11: her authenticator signs
 * a challenge that is the SHA-256 of the approval claims' RFC 8785 bytes, and the gate
 * verifies it with `@writ/verify` like any other approval. WebAuthn needs a host name,
 * so passkeys work when the page is opened at `http://localhost:PORT/`.
 */
import { randomBytes } from 'node:crypto'
import {
  type ApprovalClaims,
  approvalChallenge,
  type RegisteredPasskey,
  verifyWebAuthnApproval,
  type WebAuthnApprovalVerifier,
  webAuthnApprovalText,
} from '@writ/verify'
import {
  base64UrlDecode,
  base64UrlEncode,
  bytesEqual,
  sha256,
  utf8Decode,
} from '@writ/verify/internal'

/** The relying party id of the demo's passkeys. */
export const DEMO_RP_ID = 'localhost'

/** What the browser sends back from `navigator.credentials.create` or `.get`, base64url. */
export interface BrowserCredential {
  readonly ceremony: string
  readonly credentialId: string
  readonly authenticatorData: string
  readonly clientDataJSON: string
  readonly signature?: string
}

/** Dana's passkeys and the ceremonies in flight. */
export interface DemoPasskeys {
  /** For `createGate({ webauthn })`: passkey approvals from the demo page's localhost origin. */
  readonly verifier: WebAuthnApprovalVerifier
  /** The page's origin as `http://localhost:PORT` (set once the web server listens). */
  allowOrigin(origin: string): void
  /** The registered passkeys. */
  list(): readonly RegisteredPasskey[]
  /** Options for `navigator.credentials.create`, and the ceremony id to send back. */
  registrationOptions(user: { id: string; name: string }): { ceremony: string; options: unknown }
  /** Checks a registration and keeps the passkey. Throws a `RangeError` naming what is wrong. */
  register(credential: BrowserCredential): RegisteredPasskey
  /** Options for `navigator.credentials.get` over approval claims, and the ceremony id. */
  approvalOptions(claims: ApprovalClaims): { ceremony: string; options: unknown }
  /** The approval as received (RFC 8785 envelope text) for an assertion of a started ceremony. */
  approvalText(credential: BrowserCredential): string
}

interface Pending {
  readonly kind: 'register' | 'approve'
  readonly challenge: string
  readonly claims?: ApprovalClaims
}

function clientDataOf(text: string): Record<string, unknown> {
  const value: unknown = JSON.parse(utf8Decode(base64UrlDecode(text)))
  if (typeof value !== 'object' || value === null)
    throw new RangeError('clientDataJSON is not an object')
  return value as Record<string, unknown>
}

/** The COSE key inside registration authenticator data (attested credential data, no extensions). */
function coseKeyOf(authenticatorData: Uint8Array, credentialId: Uint8Array): Uint8Array {
  const flags = authenticatorData[32] ?? 0
  if ((flags & 0x45) !== 0x45) throw new RangeError('the authenticator did not verify the user')
  if ((flags & 0x80) !== 0) throw new RangeError('extensions are not accepted')
  const length = ((authenticatorData[53] ?? 0) << 8) | (authenticatorData[54] ?? 0)
  const id = authenticatorData.subarray(55, 55 + length)
  if (!bytesEqual(id, credentialId)) throw new RangeError('the credential id does not match')
  return authenticatorData.slice(55 + length)
}

/** Creates the demo's passkey store (in memory: a restart forgets them). */
export function createDemoPasskeys(): DemoPasskeys {
  const passkeys: RegisteredPasskey[] = []
  const pending = new Map<string, Pending>()
  let origins: string[] = []
  const begin = (entry: Pending): string => {
    const id = randomBytes(16).toString('base64url')
    pending.set(id, entry)
    return id
  }
  const take = (credential: BrowserCredential, kind: Pending['kind']): Pending => {
    const entry = pending.get(credential.ceremony)
    pending.delete(credential.ceremony)
    if (entry?.kind !== kind) throw new RangeError('this ceremony was not started here')
    return entry
  }
  return {
    verifier: async (envelope, approver) =>
      (
        await verifyWebAuthnApproval(envelope, approver.passkeys ?? [], {
          rpId: DEMO_RP_ID,
          origins,
        })
      ).claims as never,
    allowOrigin(origin) {
      origins = [origin]
    },
    list: () => passkeys,
    registrationOptions(user) {
      const challenge = randomBytes(32).toString('base64url')
      const ceremony = begin({ kind: 'register', challenge })
      const options = {
        challenge,
        rp: { id: DEMO_RP_ID, name: 'Writ demo approvals' },
        user: {
          id: base64UrlEncode(new TextEncoder().encode(user.id)),
          name: user.id,
          displayName: user.name,
        },
        pubKeyCredParams: [-7, -8, -257].map((alg) => ({ type: 'public-key', alg })),
        authenticatorSelection: { residentKey: 'preferred', userVerification: 'required' },
        attestation: 'none',
        timeout: 120_000,
      }
      return { ceremony, options }
    },
    register(credential) {
      const entry = take(credential, 'register')
      const clientData = clientDataOf(credential.clientDataJSON)
      if (clientData['type'] !== 'webauthn.create' || clientData['challenge'] !== entry.challenge) {
        throw new RangeError('the registration is not for this ceremony')
      }
      if (!origins.includes(String(clientData['origin']))) throw new RangeError('another origin')
      const authenticatorData = base64UrlDecode(credential.authenticatorData)
      if (!bytesEqual(authenticatorData.subarray(0, 32), sha256(DEMO_RP_ID))) {
        throw new RangeError('another relying party')
      }
      const publicKey = coseKeyOf(authenticatorData, base64UrlDecode(credential.credentialId))
      const passkey = {
        id: credential.credentialId,
        publicKey: base64UrlEncode(publicKey),
        counter: 0,
      }
      passkeys.push(passkey)
      return passkey
    },
    approvalOptions(claims) {
      const challenge = base64UrlEncode(approvalChallenge(claims))
      const ceremony = begin({ kind: 'approve', challenge, claims })
      const options = {
        challenge,
        rpId: DEMO_RP_ID,
        allowCredentials: passkeys.map((passkey) => ({ type: 'public-key', id: passkey.id })),
        userVerification: 'required',
        timeout: 120_000,
      }
      return { ceremony, options }
    },
    approvalText(credential) {
      const entry = take(credential, 'approve')
      return webAuthnApprovalText({
        type: 'webauthn',
        claims: entry.claims as ApprovalClaims,
        credentialId: credential.credentialId,
        authenticatorData: credential.authenticatorData,
        clientDataJSON: credential.clientDataJSON,
        signature: String(credential.signature),
      })
    },
  }
}
