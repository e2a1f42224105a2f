/**
 * Loading the keys a command works with: private signing keys (for issuing) and
 * trusted public key sets (for verifying).
 */
import { type KeyRing, loadKeyRing } from '@writ/core'
import { createKeySet, type KeySet, type PublicJwk, WritError } from '@writ/verify'
import { readTextFile, requireFile } from './files.js'
import type { CliIo } from './io.js'

/**
 * Loads the signing keys of a key file: one private JWK (as `writ keygen` writes) or a
 * key ring document (`{ "keys": [...] }` with exactly one active key). Validated by
 * `@writ/core`, which also refuses a file that others may read (`KEY_INVALID`).
 * Throws `IO_ERROR` when the file is missing.
 */
export function loadSigningKeys(io: CliIo, path: string): KeyRing {
  const absolute = requireFile(io, path, 'key file')
  return loadKeyRing({ file: absolute })
}

/** The public keys of a key file: no `d`, ever. */
export function loadPublicKeys(io: CliIo, path: string): readonly PublicJwk[] {
  return loadSigningKeys(io, path).jwks().keys
}

/**
 * Reads a trusted JWK Set file and builds the key set with `@writ/verify`, which refuses
 * (`KEYSET_INVALID`) anything but strict JSON `{ "keys": [...] }` of valid Ed25519 public
 * keys, and any key carrying a private member.
 */
export function loadKeySetFile(io: CliIo, path: string): KeySet {
  const text = readTextFile(io, path, 'key set')
  try {
    return createKeySet(text)
  } catch (error) {
    if (WritError.isInstance(error)) {
      throw new WritError(error.code, `${path}: ${error.message}`, {
        cause: error,
        details: { ...error.details, path },
      })
    }
    throw error
  }
}
