/**
 * What the demo page runs in the browser: `@writ/verify`, bundled with esbuild into
 * `dist/browser/verify.js`. Receipts, checkpoints and the chain are verified here with
 * the published public keys alone, strict Ed25519 on WebCrypto (or the portable noble
 * code), never by asking the server.
 */
import {
  approvalDigest,
  type JwkSet,
  type PublicJwk,
  verifyApproval,
  verifyChain,
  verifyCheckpoint,
  verifyReceipt,
  WritError,
  webAuthnApprovalVerifier,
} from '@writ/verify'
import {
  base64UrlDecode,
  base64UrlEncode,
  hexToBytes,
  utf8Decode,
  utf8Encode,
  verifyEd25519,
} from '@writ/verify/internal'
import {
  type Ed25519Backend,
  getEd25519Backend,
  isEd25519BackendAvailable,
  setEd25519Backend,
} from '@writ/verify/testing'

/** A verification outcome the page can show. */
export type Verdict =
  | {
      readonly ok: true
      readonly header: unknown
      readonly claims: unknown
      readonly kid: string
      readonly backend: Ed25519Backend
    }
  | {
      readonly ok: false
      readonly code: string
      readonly message: string
      readonly backend: Ed25519Backend
    }

function failure(error: unknown): Verdict {
  return {
    ok: false,
    code: WritError.isInstance(error) ? error.code : 'UNEXPECTED',
    message: error instanceof Error ? error.message : String(error),
    backend: getEd25519Backend(),
  }
}

/** Picks the Ed25519 backend: `webcrypto`, `noble`, or `auto` (WebCrypto when it has Ed25519). */
export async function useBackend(backend: 'webcrypto' | 'noble' | 'auto'): Promise<Ed25519Backend> {
  if (backend === 'webcrypto' && !(await isEd25519BackendAvailable('webcrypto'))) {
    // This browser's WebCrypto has no Ed25519: the portable code gives the same answers.
    setEd25519Backend('noble')
  } else {
    setEd25519Backend(backend)
  }
  return getEd25519Backend()
}

/** Which backends this browser offers, and the one in use. */
export async function backends(): Promise<{
  current: Ed25519Backend
  webcrypto: boolean
}> {
  return {
    current: getEd25519Backend(),
    webcrypto: await isEd25519BackendAvailable('webcrypto'),
  }
}

/** Verifies a receipt's authenticity (signature, key, header, claims). */
export async function verifyReceiptToken(token: string, keys: JwkSet): Promise<Verdict> {
  try {
    const verified = await verifyReceipt(token, keys)
    return {
      ok: true,
      header: verified.header,
      claims: verified.claims,
      kid: verified.header.kid,
      backend: getEd25519Backend(),
    }
  } catch (error) {
    return failure(error)
  }
}

/**
 * Verifies an approval (the JWS form) under the public keys the authority publishes for
 * its approvers (`/.well-known/writ/approvers.json`), and gives its digest: what a PERMIT's
 * `appr` names.
 */
export async function verifyApprovalToken(
  approval: string,
  approvers: {
    approvers: readonly {
      id: string
      keys: readonly PublicJwk[]
      passkeys?: readonly { id: string; publicKey: string }[]
    }[]
  },
  passkeyOrigin?: string,
): Promise<Verdict & { digest?: string }> {
  try {
    // A passkey approval (WebAuthn form) is checked against the page's own origin.
    const webauthn =
      passkeyOrigin === undefined
        ? undefined
        : webAuthnApprovalVerifier({
            rpId: new URL(passkeyOrigin).hostname,
            origins: [passkeyOrigin],
          })
    const verified = await verifyApproval(approval, {
      approver: (id) => {
        const entry = approvers.approvers.find((candidate) => candidate.id === id)
        return entry === undefined
          ? undefined
          : { keys: { keys: entry.keys }, passkeys: entry.passkeys ?? [] }
      },
      ...(webauthn === undefined ? {} : { webauthn }),
    })
    return {
      ok: true,
      header: decodeToken(approval)?.header,
      claims: verified.claims,
      kid: verified.key?.kid ?? (verified.form === 'webauthn' ? 'passkey' : ''),
      backend: getEd25519Backend(),
      digest: approvalDigest(approval),
    }
  } catch (error) {
    return failure(error)
  }
}

/** Verifies a checkpoint's authenticity. */
export async function verifyCheckpointToken(token: string, keys: JwkSet): Promise<Verdict> {
  try {
    const verified = await verifyCheckpoint(token, keys)
    return {
      ok: true,
      header: verified.header,
      claims: verified.claims,
      kid: verified.header.kid,
      backend: getEd25519Backend(),
    }
  } catch (error) {
    return failure(error)
  }
}

/** Verifies the chain: every signature, `seq` from 0, each `prev`, and the checkpoints. */
export async function verifyChainTokens(
  receipts: readonly string[],
  keys: JwkSet,
  checkpoints: readonly string[],
): Promise<unknown> {
  try {
    return await verifyChain(receipts, keys, { checkpoints })
  } catch (error) {
    return { valid: false, ...failure(error) }
  }
}

/** Header and claims of a token, NOT verified: for display only. */
export function decodeToken(token: string): { header: unknown; claims: unknown } | null {
  const parts = token.split('.')
  if (parts.length !== 3) return null
  try {
    return {
      header: JSON.parse(utf8Decode(base64UrlDecode(parts[0] ?? ''))) as unknown,
      claims: JSON.parse(utf8Decode(base64UrlDecode(parts[1] ?? ''))) as unknown,
    }
  } catch {
    return null
  }
}

/** What the tamper control changes. */
export type Tampering = 'decision' | 'args' | 'signature'

/**
 * A forged copy of `token`: the claims edited (the decision flipped to PERMIT, or to
 * DENY if it was one; or the arguments digest changed) and re-encoded with the
 * ORIGINAL signature, or the signature itself altered. Verification must fail.
 */
export function tamperToken(token: string, tampering: Tampering): string {
  const [header = '', claims = '', signature = ''] = token.split('.')
  if (tampering === 'signature') {
    const bytes = base64UrlDecode(signature)
    bytes[0] = (bytes[0] ?? 0) ^ 0x01
    return `${header}.${claims}.${base64UrlEncode(bytes)}`
  }
  const parsed = JSON.parse(utf8Decode(base64UrlDecode(claims))) as {
    decision?: string
    act?: { name?: string; args?: string }
  }
  if (tampering === 'decision') {
    parsed.decision = parsed.decision === 'PERMIT' ? 'DENY' : 'PERMIT'
  } else if (parsed.act !== undefined && typeof parsed.act.args === 'string') {
    const last = parsed.act.args.slice(-1)
    parsed.act.args = `${parsed.act.args.slice(0, -1)}${last === '0' ? '1' : '0'}`
  }
  return `${header}.${base64UrlEncode(utf8Encode(JSON.stringify(parsed)))}.${signature}`
}

/**
 * Raw strict Ed25519 verification, for test vectors: hex public key, message and
 * signature. Never throws; `false` for anything that does not verify.
 */
export async function verifyRawEd25519(
  publicKeyHex: string,
  messageHex: string,
  signatureHex: string,
): Promise<boolean> {
  try {
    return await verifyEd25519(
      hexToBytes(signatureHex),
      hexToBytes(messageHex),
      hexToBytes(publicKeyHex),
    )
  } catch {
    return false
  }
}

/** The audit bundle verifier (spec section 12), for the page's drop zone (public/bundle.js). */
export { verifyBundle } from '@writ/verify'
