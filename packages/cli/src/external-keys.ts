/**
 * Keys held outside the process: `--signer pkcs11:…` and key ring entries whose private
 * key is in a token (`"signer": "pkcs11:…"` beside the public JWK). The token is opened
 * through `@writ/signer-pkcs11`, loaded only when a command needs it.
 */
import {
  type AsyncSigner,
  createKeyRing,
  type KeyRing,
  type KeyRingEntry,
  type PublicJwk,
  parsePublicSigningKey,
  parseSigningKey,
  readKeyFile,
  WritError,
} from '@writ/core'
import { CliError, usageError } from './cli-error.js'
import { type ParsedInput, stringFlag } from './command.js'
import { requireFile, resolvePath } from './files.js'
import type { CliIo } from './io.js'
import { loadSigningKeys } from './keys.js'

/** What `@writ/signer-pkcs11` offers, as the CLI uses it. */
export type SignerPackage = typeof import('@writ/signer-pkcs11')

/** `@writ/signer-pkcs11`, or `DEPENDENCY_MISSING` naming it. */
export async function loadSignerPackage(): Promise<SignerPackage> {
  try {
    return await import('@writ/signer-pkcs11')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw error
    throw new CliError(
      'DEPENDENCY_MISSING',
      'a PKCS#11 signer needs @writ/signer-pkcs11, which is not installed: run npm install @writ/signer-pkcs11',
      {
        cause: error,
        details: { missing: '@writ/signer-pkcs11', install: ['@writ/signer-pkcs11'] },
      },
    )
  }
}

/** Opens the signer a URI names. Only `pkcs11:` URIs (RFC 7512) are known. */
export async function openSigner(uri: string): Promise<AsyncSigner> {
  if (!uri.startsWith('pkcs11:')) {
    throw usageError(
      `--signer must be a PKCS#11 URI (pkcs11:token=…;object=…?module-path=…), not ${uri.split(':')[0]}:`,
    )
  }
  const { openPkcs11Signer } = await loadSignerPackage()
  return openPkcs11Signer({ uri })
}

/** The keys a key file holds, as written: private JWKs, public JWKs, `signer` URIs. */
function entriesOf(io: CliIo, keyPath: string): Record<string, unknown>[] {
  const path = requireFile(io, keyPath, 'key file')
  let value: Record<string, unknown>
  try {
    value = JSON.parse(readKeyFile(path)) as Record<string, unknown>
  } catch (cause) {
    if (cause instanceof SyntaxError) {
      throw new WritError('KEY_INVALID', `The key file ${keyPath} is not JSON.`, { cause })
    }
    throw cause
  }
  const keys = Array.isArray(value['keys']) ? value['keys'] : [value]
  return keys as Record<string, unknown>[]
}

/** A ring and the signers opened for it (close them when done). */
export interface ExternalKeys {
  readonly ring: KeyRing
  readonly signers: readonly AsyncSigner[]
  close(): Promise<void>
}

/**
 * The key ring of `keyPath` (if given) with `signerUri` (if given) as its active key.
 * Every active entry of the file that names a `signer` is opened; a `signerUri` whose
 * key is not in the file joins the ring as its active key.
 */
export async function loadExternalKeys(
  io: CliIo,
  options: { readonly keyPath?: string | undefined; readonly signerUri?: string | undefined },
): Promise<ExternalKeys> {
  const entries: KeyRingEntry[] = []
  const signers: AsyncSigner[] = []
  const close = async () => {
    for (const signer of signers) await signer.close?.()
  }
  try {
    const fileEntries = options.keyPath === undefined ? [] : entriesOf(io, options.keyPath)
    for (const entry of fileEntries) {
      const active = entry['status'] === undefined || entry['status'] === 'active'
      if (typeof entry['signer'] === 'string' && entry['d'] === undefined && active) {
        signers.push(await openSigner(entry['signer']))
      }
      entries.push(entry as unknown as KeyRingEntry)
    }
    if (options.signerUri !== undefined) {
      const signer = await openSigner(options.signerUri)
      signers.push(signer)
      if (!fileEntries.some((entry) => entry['kid'] === signer.kid)) entries.push(signer)
    }
    return { ring: createKeyRing(entries, { signers }), signers, close }
  } catch (error) {
    await close()
    throw error
  }
}

/**
 * The public keys of a key file, without opening any token: private JWKs give their
 * public half, public JWKs of token keys are taken as they are (without `signer`).
 */
export function publicKeysOf(io: CliIo, keyPath: string): PublicJwk[] {
  return entriesOf(io, keyPath).map((entry) => {
    if (entry['d'] !== undefined) return parseSigningKey(entry).publicJwk
    const { signer: _signer, ...jwk } = entry
    return parsePublicSigningKey(jwk)
  })
}

/** True when the key file's active key is held by a signer it names (`"signer": "pkcs11:…"`). */
export function keyFileNamesSigner(io: CliIo, keyPath: string): boolean {
  return entriesOf(io, keyPath).some(
    (entry) =>
      typeof entry['signer'] === 'string' &&
      entry['d'] === undefined &&
      (entry['status'] === undefined || entry['status'] === 'active'),
  )
}

/** True when the active key is in a token: named by `--signer`, or by the key file. */
export function keysInToken(
  io: CliIo,
  signerUri: string | undefined,
  keyPath: string | undefined,
): boolean {
  return signerUri !== undefined || keyPath === undefined || keyFileNamesSigner(io, keyPath)
}

/**
 * The signing keys of a command, as `writ serve` takes them: `--key KEYFILE` (private
 * keys, or a ring of public keys whose active key names its token with `"signer":
 * "pkcs11:…"`) and `--signer URI` (a key in a token, the active key). A key in memory is
 * read from the file; a key in a token is opened, and `close` releases it.
 *
 * @throws CliError usage error when neither flag is given.
 */
export async function openCommandKeys(
  io: CliIo,
  input: ParsedInput,
  keyFlag = 'key',
): Promise<{ readonly ring: KeyRing; close(): Promise<void> }> {
  const keyText = stringFlag(input, keyFlag)
  const signerUri = stringFlag(input, 'signer')
  if (keyText === undefined && signerUri === undefined) {
    throw usageError(`missing required flag --${keyFlag} (or --signer)`)
  }
  const keyPath = keyText === undefined ? undefined : resolvePath(io, keyText)
  if (!keysInToken(io, signerUri, keyPath)) {
    return { ring: loadSigningKeys(io, keyPath as string), close: async () => undefined }
  }
  const keys = await loadExternalKeys(io, { keyPath, signerUri })
  return { ring: keys.ring, close: keys.close }
}
