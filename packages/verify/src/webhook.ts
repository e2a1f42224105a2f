/**
 * Receiving Writ's webhooks: the Standard Webhooks signature scheme
 * (https://www.standardwebhooks.com). The sender signs `{webhook-id}.{webhook-timestamp}.{body}`
 * with Ed25519 (`v1a`, public key `whpk_…`) or HMAC-SHA256 (`v1`, shared secret `whsec_…`)
 * and lists the signatures, space separated, in `webhook-signature`.
 *
 * Checks, in order: the three headers are present and well formed (`MALFORMED`); the
 * timestamp is within the tolerance of now (`EXPIRED` when older, `NOT_YET_VALID` when
 * newer); one listed signature verifies under a trusted key (`SIGNATURE_INVALID`); the body
 * is strict JSON (`MALFORMED`).
 */
import { verifyEd25519 } from './ed25519.js'
import {
  base64UrlDecode,
  base64UrlEncode,
  concatBytes,
  utf8Decode,
  utf8Encode,
} from './encoding.js'
import { WritError } from './errors.js'
import { verifyHmacSha256 } from './hmac.js'
import { parseJson } from './json.js'
import type { JsonObject } from './types.js'

/** How far a `webhook-timestamp` may be from now by default, in seconds (five minutes). */
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300

const MAX_ID_LENGTH = 256
const MAX_SIGNATURES = 16
const ID_PATTERN = /^[A-Za-z0-9_-]+$/
const TIMESTAMP_PATTERN = /^[0-9]{1,12}$/

/** Options of {@link verifyWebhook}: the keys you trust, and the clock. */
export interface VerifyWebhookOptions {
  /** Ed25519 public keys of the sender, `whpk_` + base64 (signatures `v1a`). */
  readonly publicKeys?: readonly string[]
  /** Shared HMAC secrets, `whsec_` + base64 (signatures `v1`). */
  readonly secrets?: readonly string[]
  /** Largest distance between `webhook-timestamp` and now, in seconds. Default 300. */
  readonly toleranceSeconds?: number
  /** Now, in seconds since the epoch. Default: the system clock. */
  readonly now?: () => number
}

/** A delivery whose signature verified: its id (an idempotency key), time and payload. */
export interface VerifiedWebhook {
  /** `webhook-id`: the same on every retry of one event; process each id once. */
  readonly id: string
  /** `webhook-timestamp`, seconds since the epoch. */
  readonly timestamp: number
  /** Which scheme verified: `v1a` (Ed25519) or `v1` (HMAC-SHA256). */
  readonly scheme: 'v1a' | 'v1'
  /** The parsed body. */
  readonly payload: JsonObject
}

/** Headers as a `Headers` object (fetch, Hono) or a plain record (`node:http`). */
export type WebhookHeaders =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | undefined>>

/**
 * Verifies a webhook Writ sent (for example when an action is held for approval), before
 * you act on it. Pass the body exactly as received: bytes or text, never re-serialized JSON.
 *
 * @throws WritError `MALFORMED`, `EXPIRED`, `NOT_YET_VALID` or `SIGNATURE_INVALID`.
 * @example
 * ```ts
 * const delivery = await verifyWebhook(request.headers, await request.text(), {
 *   publicKeys: [process.env.WRIT_WEBHOOK_PUBLIC_KEY!],
 * })
 * if (delivery.payload.type === 'approval.hold.opened') notifyReviewers(delivery.payload.data)
 * ```
 */
export async function verifyWebhook(
  headers: WebhookHeaders,
  body: string | Uint8Array,
  options: VerifyWebhookOptions,
): Promise<VerifiedWebhook> {
  const trusted = trustedKeysOf(options)
  const { id, timestamp, signatures } = readHeaders(headers)
  checkTimestamp(timestamp, options)
  const bodyBytes = typeof body === 'string' ? utf8Encode(body) : body
  const prefix = utf8Encode(`${id}.${timestamp}.`)
  const message = concatBytes([prefix, bodyBytes], prefix.length + bodyBytes.length)
  const scheme = await firstValidScheme(signatures, message, trusted)
  if (scheme === undefined) {
    throw new WritError('SIGNATURE_INVALID', 'No webhook signature verifies under a trusted key.')
  }
  return Object.freeze({ id, timestamp, scheme, payload: payloadOf(bodyBytes) })
}

interface TrustedWebhookKeys {
  readonly publicKeys: readonly Uint8Array[]
  readonly secrets: readonly Uint8Array[]
}

function trustedKeysOf(options: VerifyWebhookOptions): TrustedWebhookKeys {
  const publicKeys = (options.publicKeys ?? []).map((key) => decodePrefixed(key, 'whpk_'))
  const secrets = (options.secrets ?? []).map((key) => decodePrefixed(key, 'whsec_'))
  if (publicKeys.length + secrets.length === 0) {
    throw new TypeError('verifyWebhook needs at least one trusted public key or secret')
  }
  for (const key of publicKeys) {
    if (key.length !== 32) throw new TypeError('a whpk_ key must hold 32 bytes')
  }
  return { publicKeys, secrets }
}

/** Decodes `prefix` + standard base64 (padding optional). @internal */
export function decodePrefixed(text: string, prefix: string): Uint8Array {
  if (typeof text !== 'string' || !text.startsWith(prefix)) {
    throw new TypeError(`a webhook key must start with ${prefix}`)
  }
  try {
    return base64Decode(text.slice(prefix.length))
  } catch {
    throw new TypeError(`a ${prefix} key is not base64`)
  }
}

/** Standard base64 (RFC 4648 section 4) with padding. @internal */
export function base64Encode(bytes: Uint8Array): string {
  const url = base64UrlEncode(bytes).replaceAll('-', '+').replaceAll('_', '/')
  return url.padEnd(Math.ceil(url.length / 4) * 4, '=')
}

/** Decodes standard base64; padding is optional, other characters are refused. @internal */
export function base64Decode(text: string): Uint8Array {
  if (/[-_]/.test(text)) throw new WritError('MALFORMED', 'not standard base64')
  const unpadded = text.replace(/={0,2}$/, '')
  return base64UrlDecode(unpadded.replaceAll('+', '-').replaceAll('/', '_'))
}

function headerOf(headers: WebhookHeaders, name: string): string | undefined {
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined
  }
  const record = headers as Readonly<Record<string, string | readonly string[] | undefined>>
  const value = Object.hasOwn(record, name) ? record[name] : undefined
  return typeof value === 'string' ? value : undefined
}

function readHeaders(headers: WebhookHeaders): {
  id: string
  timestamp: number
  signatures: readonly string[]
} {
  const id = headerOf(headers, 'webhook-id')
  const timestamp = headerOf(headers, 'webhook-timestamp')
  const signature = headerOf(headers, 'webhook-signature')
  if (id === undefined || id.length > MAX_ID_LENGTH || !ID_PATTERN.test(id)) {
    throw new WritError('MALFORMED', 'The webhook-id header is missing or malformed.')
  }
  if (timestamp === undefined || !TIMESTAMP_PATTERN.test(timestamp)) {
    throw new WritError('MALFORMED', 'The webhook-timestamp header is missing or malformed.')
  }
  const signatures = (signature ?? '').split(' ').filter((part) => part !== '')
  if (signatures.length === 0 || signatures.length > MAX_SIGNATURES) {
    throw new WritError('MALFORMED', 'The webhook-signature header is missing or malformed.')
  }
  return { id, timestamp: Number(timestamp), signatures }
}

function checkTimestamp(timestamp: number, options: VerifyWebhookOptions): void {
  const tolerance = options.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS
  const now = options.now?.() ?? Math.floor(Date.now() / 1000)
  if (timestamp < now - tolerance) {
    throw new WritError('EXPIRED', 'The webhook was sent too long ago to be trusted.', {
      details: { timestamp, now },
    })
  }
  if (timestamp > now + tolerance) {
    throw new WritError('NOT_YET_VALID', 'The webhook timestamp is in the future.', {
      details: { timestamp, now },
    })
  }
}

async function firstValidScheme(
  signatures: readonly string[],
  message: Uint8Array,
  trusted: TrustedWebhookKeys,
): Promise<'v1a' | 'v1' | undefined> {
  for (const entry of signatures) {
    const comma = entry.indexOf(',')
    if (comma < 0) continue
    const scheme = entry.slice(0, comma)
    let signature: Uint8Array
    try {
      signature = base64Decode(entry.slice(comma + 1))
    } catch {
      continue
    }
    if (scheme === 'v1a') {
      for (const key of trusted.publicKeys) {
        if (await verifyEd25519(signature, message, key)) return 'v1a'
      }
    } else if (scheme === 'v1') {
      for (const secret of trusted.secrets) {
        if (await verifyHmacSha256(secret, signature, message)) return 'v1'
      }
    }
  }
  return undefined
}

function payloadOf(body: Uint8Array): JsonObject {
  let value: unknown
  try {
    value = parseJson(utf8Decode(body))
  } catch (cause) {
    throw new WritError('MALFORMED', 'The webhook body is not strict JSON.', { cause })
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new WritError('MALFORMED', 'The webhook body is not a JSON object.')
  }
  return value as JsonObject
}
