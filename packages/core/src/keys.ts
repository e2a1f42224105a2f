/**
 * Private signing keys: generating, validating and loading Ed25519 JWKs.
 */
import { jwkThumbprint, type KeyStatus, type PublicJwk, WritError } from '@writ/verify'
import { base64UrlDecode, base64UrlEncode } from '@writ/verify/internal'
import { publicKeyFromSeed } from './signer.js'

/** An Ed25519 private key as an OKP JWK (RFC 8037): the public members plus the seed `d`. */
export interface PrivateSigningJwk extends PublicJwk {
  /** The 32-byte seed, base64url without padding. Never published. */
  readonly d: string
}

/** Options of {@link generateSigningKey}. */
export interface GenerateSigningKeyOptions {
  /** Status to publish; `active` by default. */
  readonly status?: KeyStatus
  /** First second (inclusive) at which receipts signed by this key are valid. */
  readonly nbf?: number
  /** Last second (inclusive) at which receipts signed by this key are valid. */
  readonly exp?: number
}

/** Where {@link loadSigningKey} reads a key: a file, an environment variable, JWK JSON text, or a JWK. */
export type SigningKeySource =
  | { readonly file: string }
  | { readonly env: string }
  | PrivateSigningJwk
  | string

/**
 * Generates a fresh Ed25519 signing key from 32 random bytes of the platform's CSPRNG.
 * The `kid` is the RFC 7638 thumbprint of the public key.
 *
 * @example
 * ```ts
 * const key = generateSigningKey()
 * const gate = createGate({ policy, keys: key, issuer: 'https://writ.example' })
 * ```
 */
export function generateSigningKey(options: GenerateSigningKeyOptions = {}): PrivateSigningJwk {
  const seed = crypto.getRandomValues(new Uint8Array(32))
  const x = base64UrlEncode(publicKeyFromSeed(seed))
  const d = base64UrlEncode(seed)
  seed.fill(0)
  const kid = jwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x })
  return Object.freeze({
    kty: 'OKP',
    crv: 'Ed25519',
    x,
    d,
    kid,
    use: 'sig',
    alg: 'EdDSA',
    status: options.status ?? 'active',
    ...(options.nbf === undefined ? {} : { nbf: checkTime(options.nbf, 'nbf') }),
    ...(options.exp === undefined ? {} : { exp: checkTime(options.exp, 'exp') }),
  })
}

function checkTime(value: unknown, member: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new WritError(
      'KEY_INVALID',
      `The key's ${member} must be a non-negative integer (seconds).`,
      {
        details: { member },
      },
    )
  }
  return value
}

function decodeBytes(value: unknown, member: string, length: number): Uint8Array {
  if (typeof value !== 'string') {
    throw new WritError('KEY_INVALID', `The key's ${member} is missing or not a string.`, {
      details: { member },
    })
  }
  let bytes: Uint8Array
  try {
    bytes = base64UrlDecode(value)
  } catch (cause) {
    throw new WritError('KEY_INVALID', `The key's ${member} is not base64url.`, {
      cause,
      details: { member },
    })
  }
  // Re-encoding must give the same text: one key, one spelling.
  if (bytes.length !== length || base64UrlEncode(bytes) !== value) {
    throw new WritError(
      'KEY_INVALID',
      `The key's ${member} must be ${length} bytes in canonical base64url.`,
      {
        details: { member },
      },
    )
  }
  return bytes
}

const statuses: ReadonlySet<unknown> = new Set(['active', 'retired', 'revoked'])

/** The validated parts of a private key: the seed and its public JWK (no `d`). */
export interface ParsedSigningKey {
  readonly seed: Uint8Array
  readonly jwk: PrivateSigningJwk
  readonly publicJwk: PublicJwk
}

/** The optional members a signing JWK may carry, each with only its allowed values. */
function checkOptionalMembers(jwk: Record<string, unknown>): void {
  if (jwk['use'] !== undefined && jwk['use'] !== 'sig') {
    throw new WritError('KEY_INVALID', "The key's use must be sig.", { details: { member: 'use' } })
  }
  if (jwk['alg'] !== undefined && jwk['alg'] !== 'EdDSA') {
    throw new WritError('KEY_INVALID', "The key's alg must be EdDSA.", {
      details: { member: 'alg' },
    })
  }
  if (jwk['status'] !== undefined && !statuses.has(jwk['status'])) {
    throw new WritError('KEY_INVALID', "The key's status must be active, retired or revoked.", {
      details: { member: 'status' },
    })
  }
}

/** The public JWK of `jwk` whose public key is `x`: kid, status and validity checked. */
function publicMembers(jwk: Record<string, unknown>, x: string): PublicJwk {
  const kid = jwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x })
  if (jwk['kid'] !== undefined && jwk['kid'] !== kid) {
    throw new WritError('KEY_INVALID', "The key's kid is not its RFC 7638 thumbprint.", {
      details: { member: 'kid' },
    })
  }
  checkOptionalMembers(jwk)
  const nbf = jwk['nbf'] === undefined ? undefined : checkTime(jwk['nbf'], 'nbf')
  const exp = jwk['exp'] === undefined ? undefined : checkTime(jwk['exp'], 'exp')
  const status = (jwk['status'] ?? 'active') as KeyStatus
  return Object.freeze({
    kty: 'OKP',
    crv: 'Ed25519',
    x,
    kid,
    use: 'sig',
    alg: 'EdDSA',
    status,
    ...(nbf === undefined ? {} : { nbf }),
    ...(exp === undefined ? {} : { exp }),
  })
}

/**
 * Checks a public Ed25519 JWK (no `d`): the key of a ring whose private half lives
 * elsewhere (a token, a KMS) or is gone (a retired key kept so its receipts verify).
 * Throws `KEY_INVALID` for another key type or curve, an `x` that is not 32 bytes, or a
 * `kid` that is not the thumbprint; `KEY_INVALID` too when the JWK carries a `d`.
 */
export function parsePublicSigningKey(value: unknown): PublicJwk {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new WritError('KEY_INVALID', 'A public key must be an Ed25519 JWK object.')
  }
  const jwk = value as Record<string, unknown>
  if (jwk['kty'] !== 'OKP' || jwk['crv'] !== 'Ed25519') {
    throw new WritError('KEY_INVALID', 'A public key must be an OKP JWK on curve Ed25519.', {
      details: { member: 'kty' },
    })
  }
  if (jwk['d'] !== undefined) {
    throw new WritError('KEY_INVALID', 'A public key must not carry a private part (d).', {
      details: { member: 'd' },
    })
  }
  decodeBytes(jwk['x'], 'x', 32)
  return publicMembers(jwk, jwk['x'] as string)
}

/**
 * Checks a private JWK and returns its seed and public half. Throws `KEY_MISSING` when
 * there is no key and `KEY_INVALID` when the material is wrong: another key type or
 * curve, a seed that is not 32 bytes, an `x` that is not the seed's public key, or a
 * `kid` that is not the thumbprint.
 */
export function parseSigningKey(value: unknown): ParsedSigningKey {
  if (value === undefined || value === null || value === '') {
    throw new WritError('KEY_MISSING', 'No signing key was given.')
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new WritError('KEY_INVALID', 'A signing key must be an Ed25519 JWK object.')
  }
  const jwk = value as Record<string, unknown>
  if (jwk['kty'] !== 'OKP' || jwk['crv'] !== 'Ed25519') {
    throw new WritError('KEY_INVALID', 'A signing key must be an OKP JWK on curve Ed25519.', {
      details: { member: 'kty' },
    })
  }
  if (jwk['d'] === undefined) {
    throw new WritError('KEY_MISSING', 'The JWK has no private part (d).', {
      details: { member: 'd' },
    })
  }
  const seed = decodeBytes(jwk['d'], 'd', 32)
  const publicKey = publicKeyFromSeed(seed)
  const x = base64UrlEncode(publicKey)
  if (jwk['x'] !== undefined && jwk['x'] !== x) {
    throw new WritError('KEY_INVALID', "The key's x is not the public key of its d.", {
      details: { member: 'x' },
    })
  }
  const publicJwk = publicMembers(jwk, x)
  return { seed, jwk: Object.freeze({ ...publicJwk, d: jwk['d'] as string }), publicJwk }
}

type Fs = typeof import('node:fs')

function nodeFs(): Fs | undefined {
  const process = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
    .process
  const module = process?.getBuiltinModule?.('node:fs')
  return module === undefined || module === null ? undefined : (module as Fs)
}

function readEnvironment(name: string): string | undefined {
  const process = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
  return process?.env?.[name]
}

function parseText(text: string, origin: string): unknown {
  if (text.trim() === '') throw new WritError('KEY_MISSING', `${origin} is empty.`)
  try {
    return JSON.parse(text)
  } catch (cause) {
    throw new WritError('KEY_INVALID', `${origin} is not JWK JSON.`, { cause })
  }
}

/**
 * Reads the JSON text of a key or key ring file. Refuses (`KEY_INVALID`) a file that
 * group or others may read or write (mode broader than 0600) on POSIX systems, the
 * way ssh refuses such private keys; `KEY_MISSING` when the file does not exist.
 */
export function readKeyFile(path: string): string {
  const fs = nodeFs()
  if (fs === undefined)
    throw new WritError('KEY_MISSING', 'This runtime has no file system to read a key from.')
  let text: string
  try {
    const stat = fs.statSync(path)
    const platform = (globalThis as { process?: { platform?: string } }).process?.platform
    if (platform !== 'win32' && (stat.mode & 0o077) !== 0) {
      throw new WritError(
        'KEY_INVALID',
        `The key file ${path} may be read by others (mode ${(stat.mode & 0o777).toString(8)}); make it 0600.`,
        { details: { path, mode: stat.mode & 0o777 } },
      )
    }
    text = fs.readFileSync(path, 'utf8')
  } catch (error) {
    if (WritError.isInstance(error)) throw error
    throw new WritError('KEY_MISSING', `The key file ${path} cannot be read.`, {
      cause: error,
      details: { path },
    })
  }
  return text
}

/**
 * Loads a private signing key, synchronously, and validates it ({@link parseSigningKey}).
 *
 * - `{ file }`: a file holding the JWK JSON; refused with `KEY_INVALID` when group or
 *   others have any access to it (mode broader than 0600), `KEY_MISSING` when absent.
 * - `{ env }`: an environment variable holding the JWK JSON; `KEY_MISSING` when unset or empty.
 * - a string: the JWK JSON itself.
 * - an object: the JWK.
 */
export function loadSigningKey(source: SigningKeySource): PrivateSigningJwk {
  return parseSigningKey(readKeySource(source)).jwk
}

/** Resolves a {@link SigningKeySource} to its parsed JSON value (not yet validated). */
export function readKeySource(source: SigningKeySource | undefined): unknown {
  if (source === undefined || source === null)
    throw new WritError('KEY_MISSING', 'No signing key was given.')
  if (typeof source === 'string') return parseText(source, 'The key text')
  if (typeof source !== 'object') throw new WritError('KEY_INVALID', 'Unsupported key source.')
  const record = source as Record<string, unknown>
  if (typeof record['file'] === 'string' && record['kty'] === undefined) {
    return parseText(readKeyFile(record['file']), `The key file ${record['file']}`)
  }
  if (typeof record['env'] === 'string' && record['kty'] === undefined) {
    const text = readEnvironment(record['env'])
    if (text === undefined || text.trim() === '') {
      throw new WritError('KEY_MISSING', `The environment variable ${record['env']} is not set.`, {
        details: { env: record['env'] },
      })
    }
    return parseText(text, `The environment variable ${record['env']}`)
  }
  return source
}
