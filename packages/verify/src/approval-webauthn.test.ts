import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { type ApprovalClaims, verifyApproval } from './approval.js'
import {
  approvalChallenge,
  verifyWebAuthnApproval,
  type WebAuthnApprovalEnvelope,
  webAuthnApprovalText,
  webAuthnApprovalVerifier,
} from './approval-webauthn.js'
import { rawEcdsaSignature } from './cose-key.js'
import { base64UrlDecode, base64UrlEncode } from './encoding.js'

const RP_ID = 'writ.example.com'
const ORIGIN = 'https://writ.example.com'
const options = { rpId: RP_ID, origins: [ORIGIN] }

/** CBOR of a map with small integer keys and integer or byte-string values. */
function cborMap(entries: [number, number | Uint8Array][]): Uint8Array {
  const out: number[] = [0xa0 + entries.length]
  const head = (major: number, value: number) => {
    if (value < 24) out.push((major << 5) | value)
    else if (value < 256) out.push((major << 5) | 24, value)
    else out.push((major << 5) | 25, value >> 8, value & 255)
  }
  const int = (value: number) => (value >= 0 ? head(0, value) : head(1, -1 - value))
  for (const [key, value] of entries) {
    int(key)
    if (typeof value === 'number') int(value)
    else {
      head(2, value.length)
      out.push(...value)
    }
  }
  return Uint8Array.from(out)
}

/** A software authenticator: what a platform authenticator returns, built by hand. */
function authenticator(kind: 'es256' | 'ed25519' = 'es256') {
  const pair =
    kind === 'es256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('ed25519')
  const jwk = pair.publicKey.export({ format: 'jwk' })
  const cose =
    kind === 'es256'
      ? cborMap([
          [1, 2],
          [3, -7],
          [-1, 1],
          [-2, base64UrlDecode(jwk.x!)],
          [-3, base64UrlDecode(jwk.y!)],
        ])
      : cborMap([
          [1, 1],
          [3, -8],
          [-1, 6],
          [-2, base64UrlDecode(jwk.x!)],
        ])
  const credentialId = base64UrlEncode(createHash('sha256').update(cose).digest().subarray(0, 16))
  return {
    passkey: { id: credentialId, publicKey: base64UrlEncode(cose) },
    assert: (claims: ApprovalClaims, overrides: AssertOverrides = {}) =>
      assertion(pair.privateKey, kind, credentialId, claims, overrides),
  }
}

interface AssertOverrides {
  readonly origin?: string
  readonly rpId?: string
  readonly flags?: number
  readonly type?: string
  readonly challengeOf?: ApprovalClaims
}

function assertion(
  privateKey: KeyObject,
  kind: 'es256' | 'ed25519',
  credentialId: string,
  claims: ApprovalClaims,
  overrides: AssertOverrides,
): WebAuthnApprovalEnvelope {
  const clientData = JSON.stringify({
    type: overrides.type ?? 'webauthn.get',
    challenge: base64UrlEncode(approvalChallenge(overrides.challengeOf ?? claims)),
    origin: overrides.origin ?? ORIGIN,
    crossOrigin: false,
  })
  const authenticatorData = Buffer.concat([
    createHash('sha256')
      .update(overrides.rpId ?? RP_ID)
      .digest(),
    Buffer.from([overrides.flags ?? 0x05, 0, 0, 0, 7]),
  ])
  const signed = Buffer.concat([
    authenticatorData,
    createHash('sha256').update(clientData).digest(),
  ])
  const signature =
    kind === 'es256' ? sign('sha256', signed, privateKey) : sign(null, signed, privateKey)
  return {
    type: 'webauthn',
    claims,
    credentialId,
    authenticatorData: base64UrlEncode(authenticatorData),
    clientDataJSON: base64UrlEncode(Buffer.from(clientData)),
    signature: base64UrlEncode(signature),
  }
}

function claims(overrides: Partial<ApprovalClaims> = {}): ApprovalClaims {
  return {
    v: 1,
    hold: '01938f2e-7c4a-7000-8000-000000000001',
    act: { name: 'payments.transfer', args: `sha256:${'ab'.repeat(32)}` },
    sub: 'agent:accounts-payable',
    approver: 'alice',
    verdict: 'approve',
    iat: 1_764_000_000,
    exp: 1_764_000_900,
    ...overrides,
  }
}

function flip(text: string, index = 10): string {
  const bytes = base64UrlDecode(text)
  bytes[index] = bytes[index]! ^ 1
  return base64UrlEncode(bytes)
}

describe('verifyWebAuthnApproval', () => {
  it.each(['es256', 'ed25519'] as const)(
    'accepts an %s assertion over exactly the claims',
    async (kind) => {
      const device = authenticator(kind)
      const envelope = device.assert(claims())
      const verified = await verifyWebAuthnApproval(envelope, [device.passkey], options)
      expect(verified).toMatchObject({
        claims: claims(),
        credentialId: device.passkey.id,
        counter: 7,
      })
    },
  )

  it('refuses an assertion moved onto other claims (another hold, other arguments, a reject turned approve)', async () => {
    const device = authenticator()
    const signedFor = device.assert(claims({ hold: 'another-hold' }))
    for (const other of [
      claims(),
      claims({ act: { name: 'payments.transfer', args: `sha256:${'cd'.repeat(32)}` } }),
    ]) {
      await expect(
        verifyWebAuthnApproval({ ...signedFor, claims: other }, [device.passkey], options),
      ).rejects.toMatchObject({ code: 'APPROVAL_MISMATCH' })
    }
    const rejected = device.assert(claims({ verdict: 'reject' }))
    await expect(
      verifyWebAuthnApproval({ ...rejected, claims: claims() }, [device.passkey], options),
    ).rejects.toMatchObject({ code: 'APPROVAL_MISMATCH' })
  })

  it('refuses a passkey that is not registered for the approver', async () => {
    const device = authenticator()
    const stranger = authenticator()
    await expect(
      verifyWebAuthnApproval(stranger.assert(claims()), [device.passkey], options),
    ).rejects.toMatchObject({ code: 'APPROVER_UNKNOWN' })
    // The stranger's signature under a registered credential id does not verify.
    const borrowed = { ...stranger.assert(claims()), credentialId: device.passkey.id }
    await expect(verifyWebAuthnApproval(borrowed, [device.passkey], options)).rejects.toMatchObject(
      {
        code: 'SIGNATURE_INVALID',
      },
    )
  })

  it('refuses a tampered clientDataJSON, authenticatorData or signature', async () => {
    const device = authenticator()
    const envelope = device.assert(claims())
    for (const tampered of [
      { ...envelope, clientDataJSON: flip(envelope.clientDataJSON) },
      { ...envelope, authenticatorData: flip(envelope.authenticatorData, 33) },
      { ...envelope, signature: flip(envelope.signature, 12) },
    ]) {
      await expect(
        verifyWebAuthnApproval(tampered, [device.passkey], options),
      ).rejects.toMatchObject({
        code: expect.stringMatching(/^(SIGNATURE_INVALID|MALFORMED)$/),
      })
    }
  })

  it('refuses another origin, another relying party, a registration ceremony, no user verification', async () => {
    const device = authenticator()
    const cases: [AssertOverrides, string][] = [
      [{ origin: 'https://evil.example.net' }, 'APPROVAL_MISMATCH'],
      [{ rpId: 'evil.example.net' }, 'APPROVAL_MISMATCH'],
      [{ type: 'webauthn.create' }, 'APPROVAL_MISMATCH'],
      [{ flags: 0x01 }, 'APPROVAL_MISMATCH'],
      [{ flags: 0x04 }, 'APPROVAL_MISMATCH'],
    ]
    for (const [overrides, code] of cases) {
      await expect(
        verifyWebAuthnApproval(device.assert(claims(), overrides), [device.passkey], options),
      ).rejects.toMatchObject({ code })
    }
  })

  it('refuses malformed envelopes', async () => {
    const device = authenticator()
    const envelope = device.assert(claims())
    const cases: [unknown, string][] = [
      [null, 'MALFORMED'],
      [{ ...envelope, extra: 1 }, 'MALFORMED'],
      [{ ...envelope, type: 'jws' }, 'MALFORMED'],
      [{ ...envelope, signature: 'not base64url!' }, 'MALFORMED'],
      [{ ...envelope, claims: { ...claims(), v: 2 } }, 'CLAIMS_INVALID'],
    ]
    for (const [value, code] of cases) {
      await expect(verifyWebAuthnApproval(value, [device.passkey], options)).rejects.toMatchObject({
        code,
      })
    }
  })

  it('is the WebAuthn form of verifyApproval, over the canonical envelope text', async () => {
    const device = authenticator()
    const text = webAuthnApprovalText(device.assert(claims()))
    const approver = (id: string) =>
      id === 'alice' ? { keys: { keys: [] }, passkeys: [device.passkey] } : undefined
    const verified = await verifyApproval(text, {
      approver,
      webauthn: webAuthnApprovalVerifier(options),
    })
    expect(verified).toMatchObject({ form: 'webauthn', claims: { approver: 'alice' } })
    const impostor = webAuthnApprovalText(device.assert(claims({ approver: 'mallory' })))
    await expect(
      verifyApproval(impostor, { approver, webauthn: webAuthnApprovalVerifier(options) }),
    ).rejects.toMatchObject({ code: 'APPROVER_UNKNOWN' })
  })
})

describe('rawEcdsaSignature', () => {
  it('refuses DER that is not strict', () => {
    expect(
      rawEcdsaSignature(Uint8Array.from([0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01])),
    ).toHaveLength(64)
    expect(
      rawEcdsaSignature(Uint8Array.from([0x30, 0x07, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01])),
    ).toBeUndefined()
    expect(
      rawEcdsaSignature(Uint8Array.from([0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01])),
    ).toBeUndefined()
    expect(
      rawEcdsaSignature(Uint8Array.from([0x30, 0x06, 0x02, 0x01, 0x81, 0x02, 0x01, 0x01])),
    ).toBeUndefined()
  })
})
