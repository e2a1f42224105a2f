import { randomBytes } from 'node:crypto'
import * as ed from '@noble/ed25519'
import { sha512 } from '@noble/hashes/sha2.js'
import { tokenDigest } from '../src/digest.js'
import { base64UrlEncode, utf8Encode } from '../src/encoding.js'
import { jwkThumbprint } from '../src/key-set.js'
import type { PublicJwk } from '../src/types.js'

ed.hashes.sha512 = sha512

/** A test signing key: a 32-byte seed, its public key and JWK. Never used outside tests. */
export interface TestKey {
  readonly seed: Uint8Array
  readonly publicKey: Uint8Array
  readonly jwk: PublicJwk
  readonly kid: string
}

/** Builds a key from a seed (random by default), with the public key derived by noble. */
export function createTestKey(
  seed: Uint8Array = randomBytes(32),
  extra: Partial<PublicJwk> = {},
): TestKey {
  const publicKey = ed.getPublicKey(seed)
  return keyFromPublic(publicKey, seed, extra)
}

/** A key entry for arbitrary public key bytes (for weak-key tests); `seed` is only used to sign. */
export function keyFromPublic(
  publicKey: Uint8Array,
  seed: Uint8Array,
  extra: Partial<PublicJwk> = {},
): TestKey {
  const x = base64UrlEncode(publicKey)
  const kid = jwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x })
  const jwk: PublicJwk = { kty: 'OKP', crv: 'Ed25519', x, kid, use: 'sig', alg: 'EdDSA', ...extra }
  return { seed, publicKey, jwk, kid }
}

/** Signs raw bytes with the key's seed. */
export function signBytes(key: TestKey, message: Uint8Array): Uint8Array {
  return ed.sign(message, key.seed)
}

/** Encodes a JSON value (or raw text) as base64url of its UTF-8 bytes. */
export function encodePart(part: unknown): string {
  return base64UrlEncode(utf8Encode(typeof part === 'string' ? part : JSON.stringify(part)))
}

/** Builds a compact JWS over arbitrary header and claims (objects or raw JSON text). */
export function signJws(key: TestKey, header: unknown, claims: unknown): string {
  const signingInput = `${encodePart(header)}.${encodePart(claims)}`
  return `${signingInput}.${base64UrlEncode(signBytes(key, utf8Encode(signingInput)))}`
}

/** Re-signs a token's first two parts (as sent) with `key`. */
export function resign(key: TestKey, headerPart: string, claimsPart: string): string {
  const signingInput = `${headerPart}.${claimsPart}`
  return `${signingInput}.${base64UrlEncode(signBytes(key, utf8Encode(signingInput)))}`
}

/** The standard receipt header for `key`. */
export function receiptHeader(key: TestKey): Record<string, unknown> {
  return { alg: 'EdDSA', typ: 'writ-receipt+jwt', kid: key.kid }
}

/** The standard checkpoint header for `key`. */
export function checkpointHeader(key: TestKey): Record<string, unknown> {
  return { alg: 'EdDSA', typ: 'writ-checkpoint+jwt', kid: key.kid }
}

/** A fixed time for tests, in seconds. */
export const NOW = 1_800_000_000

/** A valid digest for tests. */
export const ZERO_DIGEST = `sha256:${'0'.repeat(64)}` as const

/** Valid receipt claims for a PERMIT at seq 0, with `overrides` merged on top. */
export function receiptClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    v: 1,
    iss: 'https://authority.example',
    jti: '0190f5b2-7c3e-7000-8000-000000000001',
    iat: NOW,
    exp: NOW + 300,
    sub: 'agent-7',
    aud: 'payments-api',
    req: 'req-1',
    decision: 'PERMIT',
    reason: 'SMALL_TRANSFER',
    rule: 'small-transfers',
    policy: { id: 'payments-production', digest: `sha256:${'a'.repeat(64)}` },
    act: { name: 'payments.transfer', args: ZERO_DIGEST },
    chain: { id: 'chain-1', seq: 0, prev: null },
    ...overrides,
  }
}

/** Signs a receipt with the standard header. */
export function signReceipt(key: TestKey, claims: Record<string, unknown>): string {
  return signJws(key, receiptHeader(key), claims)
}

/** Builds a valid chain of `length` receipts, each linked to the previous token. */
export function buildChain(
  key: TestKey,
  length: number,
  chainId = 'chain-1',
  start = 0,
  startPrev: string | null = null,
): string[] {
  const tokens: string[] = []
  let prev: string | null = startPrev
  for (let seq = start; seq < start + length; seq++) {
    const token = signReceipt(
      key,
      receiptClaims({
        jti: `receipt-${chainId}-${seq}`,
        iat: NOW + seq,
        exp: NOW + seq + 300,
        decision: seq % 3 === 1 ? 'DENY' : 'PERMIT',
        chain: { id: chainId, seq, prev },
      }),
    )
    tokens.push(token)
    prev = digestOfToken(token)
  }
  return tokens
}

/** Signs a checkpoint over `tokens` (size = their number, head = digest of the last). */
export function signCheckpoint(
  key: TestKey,
  tokens: readonly string[],
  overrides: Record<string, unknown> = {},
): string {
  const last = tokens.at(-1)
  return signJws(key, checkpointHeader(key), {
    v: 1,
    iss: 'https://authority.example',
    chain: 'chain-1',
    size: tokens.length,
    head: last === undefined ? null : digestOfToken(last),
    iat: NOW + tokens.length,
    ...overrides,
  })
}

function digestOfToken(token: string): string {
  return tokenDigest(token)
}
