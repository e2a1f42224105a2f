/**
 * The authority's keys: one active signer, plus retired and revoked keys that stay
 * published so that old receipts keep verifying (or, once revoked, stop verifying).
 */
import { type JwkSet, type PublicJwk, WritError } from '@writ/verify'
import {
  generateSigningKey,
  type PrivateSigningJwk,
  parseSigningKey,
  readKeySource,
  type SigningKeySource,
} from './keys.js'
import { createSigner, type Signer, type SignerBackend } from './signer.js'

/** The persisted form of a key ring ({@link KeyRing.toJSON}). Holds private keys: store it like one. */
export interface KeyRingDocument {
  readonly keys: readonly PrivateSigningJwk[]
}

/** Options of {@link createKeyRing}. */
export interface KeyRingOptions {
  /** Signing backend; node:crypto when available, else `@noble/ed25519`. */
  readonly backend?: SignerBackend
  /** Clock in milliseconds, for the `exp` and `nbf` that {@link KeyRing.rotate} writes. */
  readonly clock?: () => number
}

/**
 * A set of signing keys with exactly one active key. The ring is mutable: `rotate`
 * and `revoke` change it in place (and return it), so every gate holding the ring
 * signs with the new active key from its next decision on.
 */
export interface KeyRing {
  /** Signs new receipts and checkpoints. */
  readonly active: Signer
  /** The signer for `kid`, whatever its status, or `undefined`. */
  signer(kid: string): Signer | undefined
  /**
   * Generates a new active key (`nbf` = now) and retires the current one with
   * `exp` = now + `graceSeconds` (default 0): the time every running authority still
   * holding the old ring has to pick up the new one, during which the old key may still
   * sign. The retired key stays published so that its receipts keep verifying.
   */
  rotate(options?: { readonly graceSeconds?: number }): KeyRing
  /**
   * Marks `kid` revoked: its receipts verify nothing any more. Revoking the active key
   * rotates first. Throws `KEY_MISSING` for an unknown `kid`.
   */
  revoke(kid: string): KeyRing
  /** The public JWK Set (`status`, `nbf`, `exp` included, never `d`). */
  jwks(): JwkSet
  /** The whole ring, private keys included, for persisting. */
  toJSON(): KeyRingDocument
}

interface Entry {
  jwk: PrivateSigningJwk
  publicJwk: PublicJwk
  signer: Signer
}

function toEntry(value: unknown, backend: SignerBackend | undefined): Entry {
  const parsed = parseSigningKey(value)
  const signer = createSigner(parsed.seed, parsed.publicJwk, backend)
  parsed.seed.fill(0)
  return { jwk: parsed.jwk, publicJwk: parsed.publicJwk, signer }
}

function withStatus(
  entry: Entry,
  changes: Partial<Pick<PublicJwk, 'status' | 'exp'>>,
  backend: SignerBackend | undefined,
): Entry {
  return toEntry({ ...entry.jwk, ...changes }, backend)
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
  return activeEntries[0]!
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
  keys: PrivateSigningJwk | readonly PrivateSigningJwk[] | KeyRingDocument,
  options: KeyRingOptions = {},
): KeyRing {
  const backend = options.backend
  const clock = options.clock ?? Date.now
  let entries = listKeys(keys).map((key) => toEntry(key, backend))
  let active = onlyActiveEntry(entries)

  const ring: KeyRing = {
    get active() {
      return active.signer
    },
    signer(kid) {
      return entries.find((entry) => entry.jwk.kid === kid)?.signer
    },
    rotate(rotateOptions = {}) {
      const grace = graceSecondsOf(rotateOptions)
      const now = Math.floor(clock() / 1000)
      const next = toEntry(generateSigningKey({ nbf: now }), backend)
      entries = entries.map((entry) =>
        entry === active
          ? withStatus(entry, { status: 'retired', exp: now + grace }, backend)
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
        entry.jwk.kid === kid ? withStatus(entry, { status: 'revoked' }, backend) : entry,
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
