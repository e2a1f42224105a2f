/**
 * Synchronous Ed25519 signing. A signer runs inside a store's append transaction,
 * so it must never await: node:crypto when the runtime has it, `@noble/ed25519`
 * (pure JavaScript, synchronous once SHA-512 is wired in) everywhere else.
 */
import * as ed from '@noble/ed25519'
import { sha512 } from '@noble/hashes/sha2.js'
import type { PublicJwk } from '@writ/verify'

ed.hashes.sha512 = sha512

/** Signs bytes with one Ed25519 key. Synchronous, so it can run inside a store transaction. */
export interface Signer {
  /** RFC 7638 thumbprint of the public key, written into every header it signs. */
  readonly kid: string
  /** The public key, as published in the JWK Set. */
  readonly publicJwk: PublicJwk
  /** Ed25519 signature (64 bytes) over `message`. */
  sign(message: Uint8Array): Uint8Array
}

/** Which implementation signs: node:crypto (fast) or `@noble/ed25519` (portable). */
export type SignerBackend = 'node' | 'noble'

type NodeCrypto = typeof import('node:crypto')

// DER prefix of a PKCS#8 OneAsymmetricKey holding an Ed25519 seed (RFC 8410 section 7).
const pkcs8Prefix = new Uint8Array([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
])

function nodeCrypto(): NodeCrypto | undefined {
  const process = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
    .process
  const module = process?.getBuiltinModule?.('node:crypto')
  return module === undefined || module === null ? undefined : (module as NodeCrypto)
}

/** The backend {@link createSigner} picks when none is asked for: `node` when node:crypto is available. */
export function defaultSignerBackend(): SignerBackend {
  return nodeCrypto() === undefined ? 'noble' : 'node'
}

/** Derives the 32-byte Ed25519 public key of a 32-byte seed. */
export function publicKeyFromSeed(seed: Uint8Array): Uint8Array {
  return ed.getPublicKey(seed)
}

/**
 * Builds a synchronous signer from a 32-byte Ed25519 seed. Callers normally use
 * {@link createKeyRing} or the gate, which validate the key material first.
 *
 * @param seed the private key (the JWK `d`, decoded)
 * @param publicJwk the matching public key, with its `kid`
 * @param backend `node` or `noble`; the default follows {@link defaultSignerBackend}
 */
export function createSigner(
  seed: Uint8Array,
  publicJwk: PublicJwk,
  backend: SignerBackend = defaultSignerBackend(),
): Signer {
  // A private copy, so that a caller who wipes or reuses its buffer cannot change the key.
  const secret = Uint8Array.from(seed)
  const frozenJwk = Object.freeze({ ...publicJwk })
  if (backend === 'node') {
    const crypto = nodeCrypto()
    if (crypto !== undefined) {
      const der = new Uint8Array(pkcs8Prefix.length + 32)
      der.set(pkcs8Prefix)
      der.set(secret, pkcs8Prefix.length)
      const keyObject = crypto.createPrivateKey({
        key: Buffer.from(der),
        format: 'der',
        type: 'pkcs8',
      })
      der.fill(0)
      return Object.freeze({
        kid: publicJwk.kid,
        publicJwk: frozenJwk,
        sign(message: Uint8Array): Uint8Array {
          const signature = crypto.sign(null, message, keyObject)
          return new Uint8Array(signature.buffer, signature.byteOffset, signature.byteLength)
        },
      })
    }
  }
  return Object.freeze({
    kid: publicJwk.kid,
    publicJwk: frozenJwk,
    sign(message: Uint8Array): Uint8Array {
      return ed.sign(message, secret)
    },
  })
}
