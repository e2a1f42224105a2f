import { canonicalize, isPlainObject } from './canonicalize.js'
import { sha256Base64Url } from './digest.js'
import { isWeakPublicKey } from './ed25519.js'
import { base64UrlDecode } from './encoding.js'
import { WritError } from './errors.js'
import { parseJson } from './json.js'
import type { JwkSet, KeyStatus, PublicJwk } from './types.js'

/**
 * RFC 7638 JWK thumbprint of an Ed25519 key: SHA-256 over the canonical JSON
 * `{"crv":"Ed25519","kty":"OKP","x":…}`, base64url. It is the `kid` of every Writ key.
 */
export function jwkThumbprint(jwk: {
  readonly kty: string
  readonly crv: string
  readonly x: string
}): string {
  return sha256Base64Url(canonicalize({ crv: jwk.crv, kty: jwk.kty, x: jwk.x }))
}

/** A key of a {@link KeySet}, resolved for verification. */
export interface TrustedKey {
  readonly jwk: PublicJwk
  /** The 32 public key bytes. */
  readonly publicKey: Uint8Array
}

/** What a {@link KeySet} accepts: a JWK Set, an array of keys, or the JSON text of a JWK Set. */
export type KeySetInput = JwkSet | readonly PublicJwk[] | string

/**
 * The verifier's trusted public keys, validated once. The only source of keys for
 * verification: tokens never bring their own.
 */
export interface KeySet {
  /** The keys, as validated (frozen copies). */
  readonly keys: readonly PublicJwk[]
  /** The key with this `kid`, or `undefined`. */
  get(kid: string): PublicJwk | undefined
  /**
   * The key checks of spec section 8, in order, for a token naming `kid` and issued at
   * `issuedAt` (the token's unverified `iat`; it is checked against the key's window only).
   *
   * @throws WritError `KEY_UNKNOWN` (no such kid), `KEY_WEAK` (a small-order or
   *   non-canonical key: it verifies nothing), `KEY_REVOKED`, `KEY_NOT_VALID_AT_TIME`
   *   (`iat` outside the inclusive `nbf`…`exp` window, or not an integer when the key has one).
   */
  resolve(kid: string, issuedAt: unknown): TrustedKey
  /** The JWK Set, ready to publish at `/.well-known/writ/keys.json`. */
  toJSON(): JwkSet
}

const STATUSES: ReadonlySet<string> = new Set(['active', 'retired', 'revoked'])
const PRIVATE_MEMBERS: readonly string[] = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']
const keySetMarker = Symbol.for('writ.keySet')

interface Entry {
  readonly jwk: PublicJwk
  readonly publicKey: Uint8Array
  readonly weak: boolean
}

/**
 * Validates public keys and builds a {@link KeySet}. Each key must be `kty: "OKP"`,
 * `crv: "Ed25519"`, with `x` the strict base64url of 32 bytes and `kid` its RFC 7638
 * thumbprint; `use` (if any) `"sig"`, `alg` (if any) `"EdDSA"`, `status` (if any) one of
 * `active`, `retired`, `revoked`, `nbf`/`exp` (if any) integers with `nbf <= exp`. A private
 * member (`d`) is refused outright, so a private key cannot be published by mistake.
 * A weak key is kept but verifies nothing (`KEY_WEAK`).
 *
 * @throws WritError `KEYSET_INVALID` with `details.index` of the offending key.
 *
 * @example
 * ```ts
 * const keys = createKeySet(await (await fetch(`${authority}/.well-known/writ/keys.json`)).text())
 * ```
 */
export function createKeySet(input: KeySetInput): KeySet {
  const entries = entriesOf(keyListOf(input))
  const keys = Object.freeze([...entries.values()].map((entry) => entry.jwk))
  const keySet: KeySet & { readonly [keySetMarker]: true } = {
    [keySetMarker]: true,
    keys,
    get: (kid: string) => entries.get(kid)?.jwk,
    resolve: (kid: string, issuedAt: unknown) => resolveKey(entries, kid, issuedAt),
    toJSON: (): JwkSet => ({ keys: [...keys] }),
  }
  return Object.freeze(keySet)
}

/** The list of candidate keys in a key set's input: parsed strictly, `keys` of a JWK Set. */
function keyListOf(input: KeySetInput): unknown[] {
  let source: unknown = input
  if (typeof input === 'string') {
    try {
      source = parseJson(input)
    } catch (error) {
      throw new WritError('KEYSET_INVALID', 'key set is not strict JSON', { cause: error })
    }
  }
  const list = Array.isArray(source) ? source : isPlainObject(source) ? source['keys'] : undefined
  if (!Array.isArray(list)) throw new WritError('KEYSET_INVALID', 'a JWK Set has a "keys" array')
  return list
}

/** Every candidate validated, by `kid`; a repeated `kid` is refused. */
function entriesOf(list: readonly unknown[]): Map<string, Entry> {
  const entries = new Map<string, Entry>()
  list.forEach((candidate: unknown, index: number) => {
    const entry = validateKey(candidate, index)
    if (entries.has(entry.jwk.kid)) {
      throw new WritError('KEYSET_INVALID', 'duplicate kid in key set', {
        details: { index, kid: entry.jwk.kid },
      })
    }
    entries.set(entry.jwk.kid, entry)
  })
  return entries
}

/** The key checks of spec section 8, in order (see {@link KeySet.resolve}). */
function resolveKey(
  entries: ReadonlyMap<string, Entry>,
  kid: string,
  issuedAt: unknown,
): TrustedKey {
  const entry = typeof kid === 'string' ? entries.get(kid) : undefined
  if (entry === undefined) {
    throw new WritError('KEY_UNKNOWN', 'no trusted key has this kid', { details: { kid } })
  }
  if (entry.weak) {
    const message = 'the trusted key is weak (small order or non-canonical) and verifies nothing'
    throw new WritError('KEY_WEAK', message, { details: { kid } })
  }
  if (entry.jwk.status === 'revoked') {
    throw new WritError('KEY_REVOKED', 'the key is revoked', { details: { kid } })
  }
  const { nbf, exp } = entry.jwk
  if (!isWithinWindow(issuedAt, nbf, exp)) {
    throw new WritError(
      'KEY_NOT_VALID_AT_TIME',
      "the token was issued outside the key's validity window",
      { details: { kid, iat: issuedAt, nbf, exp } },
    )
  }
  return { jwk: entry.jwk, publicKey: entry.publicKey }
}

/** Whether `issuedAt` falls in the inclusive `nbf`…`exp` window; a key without one takes any. */
export function isWithinWindow(
  issuedAt: unknown,
  nbf: number | undefined,
  exp: number | undefined,
): boolean {
  if (nbf === undefined && exp === undefined) return true
  return (
    typeof issuedAt === 'number' &&
    Number.isSafeInteger(issuedAt) &&
    (nbf === undefined || nbf <= issuedAt) &&
    (exp === undefined || issuedAt <= exp)
  )
}

/** True when `value` is a {@link KeySet} made by {@link createKeySet} (any installed copy). */
export function isKeySet(value: unknown): value is KeySet {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[keySetMarker] === true
  )
}

/** A KeySet as is, anything else through {@link createKeySet}. @internal */
export function toKeySet(keys: KeySet | KeySetInput): KeySet {
  return isKeySet(keys) ? keys : createKeySet(keys as KeySetInput)
}

function validateKey(candidate: unknown, index: number): Entry {
  const fail = (message: string, member?: string): never => {
    throw new WritError('KEYSET_INVALID', message, {
      details: member === undefined ? { index } : { index, member },
    })
  }
  if (!isPlainObject(candidate)) return fail('a key is a JSON object')
  for (const member of PRIVATE_MEMBERS) {
    if (Object.hasOwn(candidate, member))
      fail(`a key set never holds private key material ("${member}")`, member)
  }
  const { kty, crv, x, kid, use, alg, status, nbf, exp } = candidate
  if (kty !== 'OKP') fail('kty must be "OKP"', 'kty')
  if (crv !== 'Ed25519') fail('crv must be "Ed25519"', 'crv')
  if (typeof x !== 'string') return fail('x must be a string', 'x')
  let publicKey: Uint8Array
  try {
    publicKey = base64UrlDecode(x)
  } catch {
    return fail('x must be strict base64url', 'x')
  }
  if (publicKey.length !== 32) fail('x must encode 32 bytes', 'x')
  if (typeof kid !== 'string' || kid !== jwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x })) {
    fail('kid must be the RFC 7638 thumbprint of the key', 'kid')
  }
  if (use !== undefined && use !== 'sig') fail('use must be "sig"', 'use')
  if (alg !== undefined && alg !== 'EdDSA') fail('alg must be "EdDSA"', 'alg')
  if (status !== undefined && (typeof status !== 'string' || !STATUSES.has(status))) {
    fail('status must be active, retired or revoked', 'status')
  }
  for (const [member, value] of [
    ['nbf', nbf],
    ['exp', exp],
  ] as const) {
    if (
      value !== undefined &&
      !(typeof value === 'number' && Number.isSafeInteger(value) && value >= 0)
    ) {
      fail(`${member} must be a non-negative integer (seconds)`, member)
    }
  }
  if (typeof nbf === 'number' && typeof exp === 'number' && nbf > exp)
    fail('nbf must not be after exp', 'nbf')
  const jwk: PublicJwk = Object.freeze({
    kty: 'OKP',
    crv: 'Ed25519',
    x,
    kid: kid as string,
    ...(use === undefined ? {} : { use: 'sig' as const }),
    ...(alg === undefined ? {} : { alg: 'EdDSA' as const }),
    ...(status === undefined ? {} : { status: status as KeyStatus }),
    ...(nbf === undefined ? {} : { nbf: nbf as number }),
    ...(exp === undefined ? {} : { exp: exp as number }),
  })
  return { jwk, publicKey, weak: isWeakPublicKey(publicKey) }
}
