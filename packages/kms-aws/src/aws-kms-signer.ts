/**
 * An {@link AsyncSigner} over an AWS KMS Ed25519 key (key spec `ECC_NIST_EDWARDS25519`,
 * signing algorithm `ED25519_SHA_512`, pure Ed25519 over the raw message). The private
 * key never leaves KMS; every signature is one `Sign` call, bounded by the decision's
 * deadline through the SDK's abort signal.
 */
import { createHash, createPublicKey } from 'node:crypto'
import {
  GetPublicKeyCommand,
  type GetPublicKeyCommandOutput,
  type KMSClient,
  SignCommand,
  type SignCommandOutput,
} from '@aws-sdk/client-kms'
import { type AsyncSigner, type PublicJwk, signerUnavailable, WritError } from '@writ/core'

/** The largest message KMS signs raw (`MessageType: RAW`), in bytes. */
export const KMS_MAX_MESSAGE_BYTES = 4096

/** Options of {@link openAwsKmsSigner}. */
export interface AwsKmsSignerOptions {
  /** A configured client (region, credentials; `endpoint` for a VPC endpoint or a test double). */
  readonly client: KMSClient
  /** Key id, key ARN, alias name or alias ARN of an Ed25519 signing key. */
  readonly keyId: string
}

/** A signer whose key is in AWS KMS. */
export interface AwsKmsSigner extends AsyncSigner {
  /** The key's ARN, as KMS reported it. */
  readonly keyArn: string
}

function publicJwkOf(der: Uint8Array): PublicJwk {
  const jwk = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' }).export({
    format: 'jwk',
  })
  if (jwk.kty !== 'OKP' || jwk.crv !== 'Ed25519' || typeof jwk.x !== 'string') {
    throw new WritError('KEY_INVALID', 'The KMS key is not an Ed25519 key.')
  }
  const x = jwk.x
  // RFC 7638 thumbprint: SHA-256 of the required members in lexicographic order.
  const kid = createHash('sha256')
    .update(`{"crv":"Ed25519","kty":"OKP","x":"${x}"}`)
    .digest('base64url')
  return Object.freeze({
    kty: 'OKP',
    crv: 'Ed25519',
    x,
    kid,
    use: 'sig',
    alg: 'EdDSA',
    status: 'active',
  })
}

/** Why a KMS call failed, for `details.reason`: the service's error name, or `error`. */
function reasonOf(error: unknown): string {
  const name = (error as { name?: unknown } | null)?.name
  if (name === 'AbortError') return 'timeout'
  return typeof name === 'string' && /^[A-Za-z]{1,64}$/.test(name) ? name : 'error'
}

/**
 * Opens an AWS KMS key for signing receipts: reads its public key with `GetPublicKey` and
 * checks that it is an Ed25519 signing key (`ECC_NIST_EDWARDS25519`, `SIGN_VERIFY`,
 * `ED25519_SHA_512`). Fails with `KEY_INVALID` for another key, `SIGNER_UNAVAILABLE` when
 * KMS cannot be reached or refuses.
 *
 * Each `sign` is one `Sign` call (`MessageType: RAW`). A receipt's signing input over
 * {@link KMS_MAX_MESSAGE_BYTES} is refused with `SIGNER_UNAVAILABLE` (reason
 * `message-too-large`): `ED25519_PH_SHA_512` would produce Ed25519ph signatures, which
 * receipt verifiers rightly refuse.
 *
 * @example
 * ```ts
 * const signer = await openAwsKmsSigner({ client: new KMSClient({ region: 'eu-west-1' }), keyId: 'alias/writ-receipts' })
 * const gate = createGate({ policy, keys: signer, issuer: 'https://writ.example' })
 * ```
 */
export async function openAwsKmsSigner(options: AwsKmsSignerOptions): Promise<AwsKmsSigner> {
  const { client, keyId } = options
  const { publicJwk, keyArn } = await signingKeyOf(client, keyId)
  return Object.freeze({
    asynchronous: true as const,
    kid: publicJwk.kid,
    publicJwk,
    keyArn,
    uri: `aws-kms:${keyArn}`,
    sign: (message: Uint8Array, signal?: AbortSignal) =>
      signWith(client, keyArn, publicJwk.kid, message, signal),
  })
}

/** The key's public JWK and ARN, once KMS says it is an Ed25519 signing key. */
async function signingKeyOf(
  client: KMSClient,
  keyId: string,
): Promise<{ publicJwk: PublicJwk; keyArn: string }> {
  let response: GetPublicKeyCommandOutput
  try {
    response = await client.send(new GetPublicKeyCommand({ KeyId: keyId }))
  } catch (error) {
    throw signerUnavailable(keyId, reasonOf(error), error)
  }
  const { KeySpec, KeyUsage, SigningAlgorithms, PublicKey, KeyId } = response
  if (
    KeySpec !== 'ECC_NIST_EDWARDS25519' ||
    KeyUsage !== 'SIGN_VERIFY' ||
    !SigningAlgorithms?.includes('ED25519_SHA_512') ||
    PublicKey === undefined
  ) {
    throw new WritError('KEY_INVALID', 'The KMS key is not an Ed25519 signing key.', {
      details: { keyId, keySpec: KeySpec ?? null, keyUsage: KeyUsage ?? null },
    })
  }
  return { publicJwk: publicJwkOf(PublicKey), keyArn: KeyId ?? keyId }
}

/** One `Sign` call: pure Ed25519 over the raw message. */
async function signWith(
  client: KMSClient,
  keyArn: string,
  kid: string,
  message: Uint8Array,
  signal: AbortSignal | undefined,
): Promise<Uint8Array> {
  if (message.byteLength > KMS_MAX_MESSAGE_BYTES) throw signerUnavailable(kid, 'message-too-large')
  let signed: SignCommandOutput
  try {
    signed = await client.send(
      new SignCommand({
        KeyId: keyArn,
        Message: message,
        MessageType: 'RAW',
        SigningAlgorithm: 'ED25519_SHA_512',
      }),
      signal === undefined ? {} : { abortSignal: signal },
    )
  } catch (error) {
    throw signerUnavailable(kid, reasonOf(error), error)
  }
  if (signed.Signature === undefined) throw signerUnavailable(kid, 'malformed')
  return signed.Signature
}
