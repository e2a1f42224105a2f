/**
 * Tells people that an action waits for them: when a hold opens, a signed POST to a
 * URL you choose (a chat bot, a ticketing system, a pager). Signed following Standard
 * Webhooks (https://www.standardwebhooks.com), so the receiver checks it with
 * `verifyWebhook` of `@writ/verify`. Delivery runs beside the decision, never in it: a
 * slow or failing receiver delays nobody, and the hold stays open whether or not the
 * webhook arrives.
 */
import { type JsonObject, type JsonValue, WritError } from '@writ/verify'
import {
  base64Encode,
  base64UrlDecode,
  base64UrlEncode,
  concatBytes,
  hmacSha256,
  utf8Encode,
} from '@writ/verify/internal'
import { createSigner, publicKeyFromSeed } from './signer.js'
import { uuidV7 } from './uuid-v7.js'

/**
 * What a hold webhook tells: the held action in full, who may decide, and until when.
 * The gate's hold view has these members, so it can be passed as it is.
 */
export interface HoldNotice {
  /** The hold's id (the `jti` of its SILENCE receipt). */
  readonly id: string
  /** The action that waits. */
  readonly action: string
  /** Its arguments, as the approvers will see them. */
  readonly args: JsonObject
  /** The agent that asked. */
  readonly agent: string
  /** The approve rule that held it. */
  readonly rule: string | null
  /** The rule's description in the policy, when it has one. */
  readonly ruleDescription?: string | null
  /** The group whose members may decide. */
  readonly group: string
  /** How many members of the group must approve. */
  readonly quorum: number
  /** When the hold closes, seconds since the epoch. */
  readonly exp: number
  /** The HTTP request binding, for an HTTP action. */
  readonly http?: {
    readonly method: string
    readonly uri: string
    readonly body: string
  } | null
  /** The audience the PERMIT would name. */
  readonly audience?: string | null
}

/** Options of {@link createApprovalWebhook}. */
export interface ApprovalWebhookOptions {
  /** Where to POST. */
  readonly url: string
  /**
   * Signing keys: `whsk_…` (Ed25519, signature `v1a`, preferred: the receiver holds only
   * the public key) and/or `whsec_…` (HMAC-SHA256, signature `v1`). Each key signs every
   * delivery. Read them from a file or the environment, never from a command line.
   */
  readonly signingKeys: readonly string[]
  /** A link to the approvals page, sent with each hold (`data.approvalsUrl`, `?hold=` appended). */
  readonly approvalsUrl?: string
  /** Delays before each attempt, in milliseconds. Default: at once, 5 s, 5 min, 30 min, 2 h. */
  readonly retryDelaysMs?: readonly number[]
  /** Time allowed for one attempt, in milliseconds. Default 15 000. */
  readonly timeoutMs?: number
  /** The fetch to send with. Default: the global `fetch`. */
  readonly fetch?: typeof fetch
  /** Called once per delivery that gave up (the hold stays open; approvers can still decide). */
  readonly onGiveUp?: (notice: HoldNotice, lastError: unknown) => void
  /** Now, in milliseconds. Default `Date.now`. */
  readonly now?: () => number
}

/** The webhook sender: `notify` returns at once; deliveries and their retries run in the background. */
export interface ApprovalWebhook {
  /** Queues one delivery for a hold that just opened. Never throws, never waits. */
  notify(notice: HoldNotice): void
  /** Resolves when every queued delivery has succeeded or given up. */
  flush(): Promise<void>
  /** Stops retrying (attempts in flight finish) and resolves when nothing is pending. */
  close(): Promise<void>
}

/** A key pair for Ed25519 webhook signatures, in Standard Webhooks' text form. */
export interface WebhookKeyPair {
  /** `whsk_…`: keep it secret, give it to `writ serve` through a file or the environment. */
  readonly secretKey: string
  /** `whpk_…`: give it to the receiver. */
  readonly publicKey: string
}

const DEFAULT_RETRY_DELAYS_MS = [0, 5_000, 300_000, 1_800_000, 7_200_000] as const
const DEFAULT_TIMEOUT_MS = 15_000

/** Event type of the delivery sent when a hold opens. */
export const HOLD_OPENED_EVENT = 'approval.hold.opened'

/**
 * Creates a Standard Webhooks Ed25519 key pair.
 *
 * @example
 * ```ts
 * const { secretKey, publicKey } = generateWebhookKeyPair()
 * ```
 */
export function generateWebhookKeyPair(): WebhookKeyPair {
  const seed = new Uint8Array(32)
  globalThis.crypto.getRandomValues(seed)
  const publicKey = publicKeyFromSeed(seed)
  return Object.freeze({
    secretKey: `whsk_${base64Encode(seed)}`,
    publicKey: `whpk_${base64Encode(publicKey)}`,
  })
}

/** The public key (`whpk_…`) of a `whsk_…` secret key. */
export function webhookPublicKey(secretKey: string): string {
  return `whpk_${base64Encode(publicKeyFromSeed(ed25519SeedOf(secretKey)))}`
}

type SignOne = (message: Uint8Array) => Promise<string>

/**
 * The value of `webhook-signature` for one message: every key's signature, space separated.
 *
 * @throws WritError `KEY_INVALID` for a key that is neither `whsk_` nor `whsec_`.
 */
export async function signWebhook(
  signingKeys: readonly string[],
  id: string,
  timestamp: number,
  body: string,
): Promise<string> {
  const signers = signingKeys.map(signerOf)
  const prefix = utf8Encode(`${id}.${timestamp}.`)
  const bodyBytes = utf8Encode(body)
  const message = concatBytes([prefix, bodyBytes], prefix.length + bodyBytes.length)
  const signatures = await Promise.all(signers.map((sign) => sign(message)))
  return signatures.join(' ')
}

function signerOf(key: string): SignOne {
  if (typeof key === 'string' && key.startsWith('whsk_')) {
    const seed = ed25519SeedOf(key)
    const x = base64UrlEncode(publicKeyFromSeed(seed))
    const signer = createSigner(seed, { kty: 'OKP', crv: 'Ed25519', x, kid: 'webhook' })
    return async (message) => `v1a,${base64Encode(signer.sign(message))}`
  }
  if (typeof key === 'string' && key.startsWith('whsec_')) {
    const secret = decodeKey(key, 'whsec_')
    if (secret.length < 24 || secret.length > 64) {
      throw new WritError('KEY_INVALID', 'A whsec_ secret holds 24 to 64 bytes.')
    }
    return async (message) => `v1,${base64Encode(await hmacSha256(secret, message))}`
  }
  throw new WritError('KEY_INVALID', 'A webhook signing key starts with whsk_ or whsec_.')
}

function ed25519SeedOf(key: string): Uint8Array {
  const bytes = decodeKey(key, 'whsk_')
  // 32 bytes: the seed; 64 bytes: seed then public key (the libsodium layout).
  if (bytes.length === 32) return bytes
  if (bytes.length === 64) {
    const seed = bytes.subarray(0, 32)
    const derived = publicKeyFromSeed(seed)
    if (derived.every((byte, index) => byte === bytes[32 + index])) return seed
  }
  throw new WritError('KEY_INVALID', 'A whsk_ key holds a 32-byte Ed25519 seed.')
}

function decodeKey(key: string, prefix: string): Uint8Array {
  const text = key.trim().slice(prefix.length)
  if (/[-_]/.test(text)) throw new WritError('KEY_INVALID', `A ${prefix} key is standard base64.`)
  try {
    return base64UrlDecode(
      text
        .replace(/={0,2}$/, '')
        .replaceAll('+', '-')
        .replaceAll('/', '_'),
    )
  } catch (cause) {
    throw new WritError('KEY_INVALID', `A ${prefix} key is standard base64.`, { cause })
  }
}

/** The JSON body sent for a hold: `{ type, timestamp, data }` as Standard Webhooks recommends. */
export function holdOpenedPayload(notice: HoldNotice, approvalsUrl?: string): JsonObject {
  const data: Record<string, JsonValue> = {
    hold: notice.id,
    action: notice.action,
    args: notice.args,
    agent: notice.agent,
    rule: notice.rule,
    group: notice.group,
    quorum: notice.quorum,
    expiresAt: new Date(notice.exp * 1000).toISOString(),
  }
  if (typeof notice.ruleDescription === 'string') data['ruleDescription'] = notice.ruleDescription
  if (notice.http !== undefined && notice.http !== null) data['http'] = { ...notice.http }
  if (typeof notice.audience === 'string') data['audience'] = notice.audience
  if (approvalsUrl !== undefined) {
    const link = new URL(approvalsUrl)
    link.searchParams.set('hold', notice.id)
    data['approvalsUrl'] = link.href
  }
  return { type: HOLD_OPENED_EVENT, timestamp: new Date().toISOString(), data }
}

/**
 * Creates the webhook sender. Give its `notify` to the gate's hold hook (or
 * `writ serve --approval-webhook`). The keys are checked here, once.
 *
 * @throws WritError `KEY_INVALID` when a signing key is malformed or none is given.
 * @example
 * ```ts
 * const webhook = createApprovalWebhook({
 *   url: 'https://chat.example.com/hooks/writ',
 *   signingKeys: [process.env.WRIT_APPROVAL_WEBHOOK_KEY!],
 * })
 * webhook.notify(holdNotice)
 * ```
 */
export function createApprovalWebhook(options: ApprovalWebhookOptions): ApprovalWebhook {
  const settings = webhookSettings(options)
  const pending = new Set<Promise<void>>()
  let closed = false
  return Object.freeze({
    notify(notice: HoldNotice): void {
      if (closed) return
      const delivery = deliver(settings, notice, () => closed).catch(() => undefined)
      pending.add(delivery)
      void delivery.finally(() => pending.delete(delivery))
    },
    async flush(): Promise<void> {
      while (pending.size > 0) await Promise.all([...pending])
    },
    async close(): Promise<void> {
      closed = true
      for (const cancel of settings.timers) cancel()
      while (pending.size > 0) await Promise.all([...pending])
    },
  })
}

interface WebhookSettings {
  readonly url: URL
  readonly signingKeys: readonly string[]
  readonly approvalsUrl: string | undefined
  readonly retryDelaysMs: readonly number[]
  readonly timeoutMs: number
  readonly fetch: typeof fetch
  readonly onGiveUp: ((notice: HoldNotice, lastError: unknown) => void) | undefined
  readonly now: () => number
  /** Cancels the waits between attempts (on close). */
  readonly timers: Set<() => void>
}

function webhookSettings(options: ApprovalWebhookOptions): WebhookSettings {
  let url: URL
  try {
    url = new URL(options.url)
  } catch (cause) {
    throw new TypeError('The approval webhook URL is not a URL.', { cause })
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new TypeError('The approval webhook URL must be http or https.')
  }
  if (options.signingKeys.length === 0) {
    throw new WritError('KEY_INVALID', 'An approval webhook needs at least one signing key.')
  }
  for (const key of options.signingKeys) signerOf(key)
  return {
    url,
    signingKeys: [...options.signingKeys],
    approvalsUrl: options.approvalsUrl,
    retryDelaysMs: options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    fetch: options.fetch ?? globalThis.fetch,
    onGiveUp: options.onGiveUp,
    now: options.now ?? Date.now,
    timers: new Set(),
  }
}

async function deliver(
  settings: WebhookSettings,
  notice: HoldNotice,
  isClosed: () => boolean,
): Promise<void> {
  // One id for every attempt: the receiver's idempotency key.
  const id = `msg_${uuidV7().replaceAll('-', '')}`
  const body = JSON.stringify(holdOpenedPayload(notice, settings.approvalsUrl))
  let lastError: unknown
  for (const delay of settings.retryDelaysMs) {
    if (delay > 0 && !(await wait(settings, delay))) break
    // Nobody can act on a hold after it closes: stop trying then.
    if (isClosed() || settings.now() >= notice.exp * 1000) break
    const outcome = await attempt(settings, id, body)
    if (outcome === 'delivered' || outcome === 'gone') return
    lastError = outcome
  }
  settings.onGiveUp?.(notice, lastError)
}

function wait(settings: WebhookSettings, delay: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      settings.timers.delete(cancel)
      resolve(true)
    }, delay)
    const cancel = (): void => {
      clearTimeout(timer)
      resolve(false)
    }
    ;(timer as { unref?: () => void }).unref?.()
    settings.timers.add(cancel)
  })
}

async function attempt(
  settings: WebhookSettings,
  id: string,
  body: string,
): Promise<'delivered' | 'gone' | Error> {
  const timestamp = Math.floor(settings.now() / 1000)
  try {
    const response = await settings.fetch(settings.url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(settings.timeoutMs),
      headers: {
        'content-type': 'application/json',
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': await signWebhook(settings.signingKeys, id, timestamp, body),
      },
      body,
    })
    await response.body?.cancel()
    if (response.status >= 200 && response.status < 300) return 'delivered'
    // 410: the receiver asks not to be called again.
    if (response.status === 410) return 'gone'
    return new Error(`the receiver answered ${response.status}`)
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error))
  }
}
