/**
 * The authority's keys: one active signer, plus retired and revoked keys that stay
 * published so that old receipts keep verifying (or, once revoked, stop verifying).
 */
import { type JwkSet, type PublicJwk, WritError } from '@writ/verify'
import { type AnySigner, type AsyncSigner, isAsyncSigner } from './async-signer.js'
import {
  generateSigningKey,
  type PrivateSigningJwk,
  parsePublicSigningKey,
  parseSigningKey,
  readKeySource,
  type SigningKeySource,
} from './keys.js'
import { createSigner, type SignerBackend } from './signer.js'

/**
 * A key of a ring whose private half is not in the ring: held by an external signer
 * (`signer` names where, for example a PKCS#11 URI without its PIN), or gone.
 */
export interface ExternalKeyJwk extends PublicJwk {
  /** Where the private key lives, as the {@link AsyncSigner} that signs with it names it. */
  readonly signer?: string
}

/**
 * The persisted form of a key ring ({@link KeyRing.toJSON}). Holds private keys (those
 * kept in the process): store it like one.
 */
export interface KeyRingDocument {
  readonly keys: readonly (PrivateSigningJwk | ExternalKeyJwk)[]
}

/** What a ring is made of: private JWKs, public JWKs of external or retired keys, async signers. */
export type KeyRingEntry = PrivateSigningJwk | ExternalKeyJwk | AsyncSigner

/** Options of {@link createKeyRing}. */
export interface KeyRingOptions {
  /** Signing backend; node:crypto when available, else `@noble/ed25519`. */
  readonly backend?: SignerBackend
  /** Clock in milliseconds, for the `exp` and `nbf` that {@link KeyRing.rotate} writes. */
  readonly clock?: () => number
  /**
   * Signers of the ring's external keys (public JWKs without `d`), matched by `kid`. An
   * active key without `d` needs one here, or the ring is refused with `KEY_MISSING`.
   */
  readonly signers?: readonly AsyncSigner[]
}

/** Options of {@link KeyRing.rotate}. */
export interface RotateOptions {
  /** Seconds the retired key may still sign (its `exp` = now + grace); 0 by default. */
  readonly graceSeconds?: number
  /**
   * The new active key. By default a fresh key is generated in memory; a ring whose
   * active key is external needs one (a key made in the same token or KMS), so that a
   * rotation never moves signing out of hardware unnoticed.
   */
  readonly next?: PrivateSigningJwk | AsyncSigner
}

/**
 * A set of signing keys with exactly one active key. The ring is mutable: `rotate`
 * and `revoke` change it in place (and return it), so every gate holding the ring
 * signs with the new active key from its next decision on.
 */
export interface KeyRing {
  /** Signs new receipts and checkpoints. */
  readonly active: AnySigner
  /** The signer for `kid`, whatever its status, or `undefined` (also for a retired external key). */
  signer(kid: string): AnySigner | undefined
  /**
   * Generates a new active key (`nbf` = now) and retires the current one with
   * `exp` = now + `graceSeconds` (default 0): the time every running authority still
   * holding the old ring has to pick up the new one, during which the old key may still
   * sign. The retired key stays published so that its receipts keep verifying.
   */
  rotate(options?: RotateOptions): KeyRing
  /**
   * Marks `kid` revoked: its receipts verify nothing any more. Revoking the active key
   * rotates first. Throws `KEY_MISSING` for an unknown `kid`.
   */
  revoke(kid: string): KeyRing
  /** The public JWK Set (`status`, `nbf`, `exp` included, never `d`). */
  jwks(): JwkSet
  /** The whole ring, private keys kept in the process included, for persisting. */
  toJSON(): KeyRingDocument
}

interface Entry {
  jwk: PrivateSigningJwk | ExternalKeyJwk
  publicJwk: PublicJwk
  /** Absent for a public key whose signer is not configured (a retired external key). */
  signer: AnySigner | undefined
}

interface EntrySources {
  readonly backend: SignerBackend | undefined
  readonly signers: readonly AsyncSigner[]
}

function toEntry(value: unknown, sources: EntrySources): Entry {
  if (isAsyncSigner(value)) return externalEntry(value.publicJwk, value, value.uri)
  const record = value as Record<string, unknown> | null | undefined
  if (typeof record === 'object' && record !== null && record['d'] === undefined) {
    const publicJwk = parsePublicSigningKey(withoutSignerMember(record))
    const signer = sources.signers.find((candidate) => candidate.kid === publicJwk.kid)
    const uri = typeof record['signer'] === 'string' ? record['signer'] : signer?.uri
    return externalEntry(publicJwk, signer, uri)
  }
  const parsed = parseSigningKey(value)
  const signer = createSigner(parsed.seed, parsed.publicJwk, sources.backend)
  parsed.seed.fill(0)
  return { jwk: parsed.jwk, publicJwk: parsed.publicJwk, signer }
}

function withoutSignerMember(record: Record<string, unknown>): Record<string, unknown> {
  const { signer: _signer, ...rest } = record
  return rest
}

/** An entry whose private key is held by `signer` (or by nobody this process knows). */
function externalEntry(
  jwk: PublicJwk,
  signer: AsyncSigner | undefined,
  uri: string | undefined,
): Entry {
  const publicJwk = parsePublicSigningKey(jwk)
  const document: ExternalKeyJwk = Object.freeze(
    uri === undefined ? publicJwk : { ...publicJwk, signer: uri },
  )
  return { jwk: document, publicJwk, signer: signer && signerWithKey(signer, publicJwk) }
}

/** `signer`, publishing `publicJwk` (its status and validity as the ring now says). */
function signerWithKey(signer: AsyncSigner, publicJwk: PublicJwk): AsyncSigner {
  if (signer.publicJwk === publicJwk) return signer
  return Object.freeze({
    asynchronous: true,
    kid: signer.kid,
    publicJwk,
    ...(signer.uri === undefined ? {} : { uri: signer.uri }),
    sign: (message: Uint8Array, signal?: AbortSignal) => signer.sign(message, signal),
    ...(signer.close === undefined ? {} : { close: () => signer.close?.() ?? Promise.resolve() }),
  })
}

function withStatus(
  entry: Entry,
  changes: Partial<Pick<PublicJwk, 'status' | 'exp'>>,
  sources: EntrySources,
): Entry {
  if (isAsyncSigner(entry.signer) || !('d' in entry.jwk)) {
    const signer = isAsyncSigner(entry.signer) ? entry.signer : undefined
    const uri = (entry.jwk as ExternalKeyJwk).signer
    return externalEntry({ ...entry.publicJwk, ...changes }, signer, uri)
  }
  return toEntry({ ...entry.jwk, ...changes }, sources)
}

function listKeys(value: unknown): unknown[] {
  if (Array.isArray(value)) return value
  if (
    typeof value === 'object' &&
    value !== null &&
    Array.isArray((value as { keys?: unknown }).keys)
  ) {
    return (value as { keys: unknown[] }).keys
  }
  return [value]
}

/** The one active entry of a ring; every kid appears once. */
function onlyActiveEntry(entries: readonly Entry[]): Entry {
  const seen = new Set<string>()
  for (const entry of entries) {
    if (seen.has(entry.jwk.kid)) {
      throw new WritError('KEY_INVALID', `The key ${entry.jwk.kid} appears twice in the ring.`, {
        details: { kid: entry.jwk.kid },
      })
    }
    seen.add(entry.jwk.kid)
  }
  const activeEntries = entries.filter((entry) => entry.publicJwk.status === 'active')
  if (activeEntries.length === 0)
    throw new WritError('KEY_MISSING', 'The key ring has no active key.')
  if (activeEntries.length > 1) {
    throw new WritError('KEY_INVALID', 'The key ring has more than one active key.', {
      details: { kids: activeEntries.map((entry) => entry.jwk.kid) },
    })
  }
  const active = activeEntries[0]!
  if (active.signer === undefined) {
    throw new WritError(
      'KEY_MISSING',
      `The active key ${active.jwk.kid} has no private part and no signer was given for it.`,
      { details: { kid: active.jwk.kid } },
    )
  }
  return active
}

/** The entry of the new active key `next` (a fresh in-memory key by default), valid from `now`. */
function nextEntry(
  current: Entry,
  next: RotateOptions['next'],
  now: number,
  sources: EntrySources,
): Entry {
  if (next === undefined) {
    if (isAsyncSigner(current.signer)) {
      throw new WritError(
        'KEY_INVALID',
        'The active key is held by an external signer: rotate to a new key made there (next).',
        { details: { kid: current.jwk.kid } },
      )
    }
    return toEntry(generateSigningKey({ nbf: now }), sources)
  }
  if (isAsyncSigner(next)) {
    return externalEntry({ ...next.publicJwk, status: 'active', nbf: now }, next, next.uri)
  }
  return toEntry({ ...next, status: 'active', nbf: now }, sources)
}

function graceSecondsOf(options: { readonly graceSeconds?: number }): number {
  const grace = options.graceSeconds ?? 0
  if (!Number.isSafeInteger(grace) || grace < 0) {
    throw new WritError('KEY_INVALID', 'graceSeconds must be a whole number of seconds, 0 or more.')
  }
  return grace
}

/**
 * Builds a key ring from one key, a list of keys, or a persisted {@link KeyRingDocument}.
 * Exactly one key must be active (status `active` or absent): `KEY_MISSING` when none
 * is, `KEY_INVALID` when several are or a `kid` repeats.
 *
 * @example
 * ```ts
 * const ring = createKeyRing(generateSigningKey())
 * ring.rotate()
 * await writeFile('ring.json', JSON.stringify(ring), { mode: 0o600 })
 * ```
 */
export function createKeyRing(
  keys: KeyRingEntry | readonly KeyRingEntry[] | KeyRingDocument,
  options: KeyRingOptions = {},
): KeyRing {
  const sources: EntrySources = { backend: options.backend, signers: options.signers ?? [] }
  const clock = options.clock ?? Date.now
  let entries = listKeys(keys).map((key) => toEntry(key, sources))
  let active = onlyActiveEntry(entries)

  const ring: KeyRing = {
    get active() {
      return active.signer as AnySigner
    },
    signer(kid) {
      return entries.find((entry) => entry.jwk.kid === kid)?.signer
    },
    rotate(rotateOptions = {}) {
      const grace = graceSecondsOf(rotateOptions)
      const now = Math.floor(clock() / 1000)
      const next = nextEntry(active, rotateOptions.next, now, sources)
      if (entries.some((entry) => entry.jwk.kid === next.jwk.kid)) {
        throw new WritError('KEY_INVALID', `The key ${next.jwk.kid} is already in the ring.`, {
          details: { kid: next.jwk.kid },
        })
      }
      entries = entries.map((entry) =>
        entry === active
          ? withStatus(entry, { status: 'retired', exp: now + grace }, sources)
          : entry,
      )
      entries.push(next)
      active = next
      return ring
    },
    revoke(kid) {
      if (!entries.some((entry) => entry.jwk.kid === kid)) {
        throw new WritError('KEY_MISSING', `No key ${kid} in the ring.`, { details: { kid } })
      }
      if (active.jwk.kid === kid) ring.rotate()
      entries = entries.map((entry) =>
        entry.jwk.kid === kid ? withStatus(entry, { status: 'revoked' }, sources) : entry,
      )
      return ring
    },
    jwks() {
      return { keys: entries.map((entry) => entry.publicJwk) }
    },
    toJSON() {
      return { keys: entries.map((entry) => entry.jwk) }
    },
  }
  return ring
}

/**
 * Loads a key ring from a {@link SigningKeySource}: the text may hold one JWK or a
 * {@link KeyRingDocument}. File sources follow the same 0600 rule as {@link loadSigningKey}.
 */
export function loadKeyRing(source: SigningKeySource, options: KeyRingOptions = {}): KeyRing {
  return createKeyRing(readKeySource(source) as KeyRingDocument, options)
}

/** True when `value` looks like a {@link KeyRing} rather than a single JWK. */
export function isKeyRing(value: unknown): value is KeyRing {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { rotate?: unknown }).rotate === 'function' &&
    typeof (value as { jwks?: unknown }).jwks === 'function'
  )
}
