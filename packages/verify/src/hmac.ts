// HMAC-SHA256 over WebCrypto, for webhook signatures and session headers: one key import
// in one place, in every runtime Writ supports (Node and browsers).
import { WritError } from './errors.js'

function subtleCrypto(): SubtleCrypto {
  const subtle = (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle
  if (subtle === undefined) throw new WritError('MALFORMED', 'This runtime has no WebCrypto.')
  return subtle
}

function hmacKey(secret: Uint8Array, usage: 'sign' | 'verify'): Promise<CryptoKey> {
  return subtleCrypto().importKey(
    'raw',
    secret as Uint8Array<ArrayBuffer>,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    [usage],
  )
}

/** HMAC-SHA256 of `message` with `secret`. @internal */
export async function hmacSha256(secret: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
  const key = await hmacKey(secret, 'sign')
  return new Uint8Array(await subtleCrypto().sign('HMAC', key, message as Uint8Array<ArrayBuffer>))
}

/**
 * Whether `signature` is the HMAC-SHA256 of `message` with `secret`, compared in
 * constant time by WebCrypto. @internal
 */
export async function verifyHmacSha256(
  secret: Uint8Array,
  signature: Uint8Array,
  message: Uint8Array,
): Promise<boolean> {
  if (signature.length !== 32) return false
  const key = await hmacKey(secret, 'verify')
  return subtleCrypto().verify(
    'HMAC',
    key,
    signature as Uint8Array<ArrayBuffer>,
    message as Uint8Array<ArrayBuffer>,
  )
}
