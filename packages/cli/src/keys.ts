/**
 * Loading the keys a command works with: private signing keys (for issuing) and
 * trusted public key sets (for verifying).
 */
import { type KeyRing, loadKeyRing } from '@writ/core'
import { type JwkSet, type PublicJwk, WritError } from '@writ/verify'
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
 * Reads a trusted JWK Set file. Refuses (`KEYSET_INVALID`) anything that is not a
 * `{ "keys": [...] }` object or that carries a private member.
 */
export function loadKeySetFile(io: CliIo, path: string): JwkSet {
  const text = readTextFile(io, path, 'key set')
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (cause) {
    throw new WritError('KEYSET_INVALID', `${path} is not JSON`, { cause, details: { path } })
  }
  if (typeof value !== 'object' || value === null || !Array.isArray((value as { keys?: unknown }).keys)) {
    throw new WritError('KEYSET_INVALID', `${path} is not a JWK Set ({"keys":[...]})`, { details: { path } })
  }
  for (const key of (value as { keys: unknown[] }).keys) {
    if (typeof key === 'object' && key !== null && Object.hasOwn(key, 'd')) {
      throw new WritError('KEYSET_INVALID', `${path} holds a private key; give the public key set (writ keys export)`, {
        details: { path },
      })
    }
  }
  return value as JwkSet
}
