/**
 * A gate's options checked once, when the gate is made: a gate that would sign
 * something no verifier accepts is refused at construction, not at its first decision.
 */
import { canonicalArgs, isDigest, type JsonLimits, WritError } from '@writ/verify'
import type { ApprovalGateOptions } from './approvals/gate-approvals.js'
import type { AsyncSigner } from './async-signer.js'
import { isSignableString } from './decide/signable.js'
import { createKeyRing, isKeyRing, type KeyRing } from './key-ring.js'
import type { PrivateSigningJwk } from './keys.js'
import { createMemoryStore } from './memory-store.js'
import { assertPolicySelfTests, type CompiledPolicy } from './policy/index.js'
import { type SessionBounds, type SessionHistoryOptions, sessionBounds } from './session-history.js'
import type { Store } from './types.js'

/** Longest receipt lifetime a gate accepts, in seconds (spec section 2: 300 s or less). */
export const MAX_TTL_SECONDS = 300
/** Default receipt lifetime, in seconds. */
export const DEFAULT_TTL_SECONDS = 300
/** Receipts the gate's own in-memory store keeps readable when no store is given. */
export const DEFAULT_MEMORY_KEEP = 10_000
/** Default bound on one `authorize`, in milliseconds. */
export const DEFAULT_TIMEOUT_MS = 5000
/** Default agent (`sub`) when neither the request nor the gate names one. */
export const DEFAULT_AGENT = 'anonymous'

/** Options of {@link createGate}. */
export interface GateOptions extends ApprovalGateOptions {
  /** The compiled policy (see `compilePolicy`). */
  readonly policy: CompiledPolicy
  /**
   * A key ring, one private key, or an {@link AsyncSigner} whose key lives outside the
   * process (a ring is made of a single key or signer).
   */
  readonly keys: KeyRing | PrivateSigningJwk | AsyncSigner
  /** `iss` of every receipt: the authority's name, usually its URL. */
  readonly issuer: string
  /**
   * Where receipts go. By default an in-memory store that keeps the newest
   * {@link DEFAULT_MEMORY_KEEP} receipts readable (the chain and its Merkle tree go on
   * whole): nothing survives the process, and memory stays flat however long it runs.
   */
  readonly store?: Store
  /** The chain this gate appends to; `main` by default. */
  readonly chainId?: string
  /** Receipt lifetime (`exp - iat`), 1 to 300 seconds; 300 by default. */
  readonly ttlSeconds?: number
  /** `sub` when a request names no agent; `anonymous` by default. */
  readonly defaultAgent?: string
  /** Bound on one `authorize` (and `checkpoint`), in milliseconds; 5000 by default. */
  readonly timeoutMs?: number
  /**
   * Bound on signing one receipt with an {@link AsyncSigner}, waiting for the signer
   * included, in milliseconds; half of `timeoutMs` by default, so a signer that does not
   * answer is reported as `SIGNER_UNAVAILABLE` before the decision times out.
   */
  readonly signerTimeoutMs?: number
  /** Depth and size bounds on arguments and context. */
  readonly limits?: JsonLimits
  /** Clock in milliseconds since the epoch; `Date.now` by default. */
  readonly clock?: () => number
  /**
   * A candidate policy evaluated beside the enforcing one on every request (shadow mode).
   * It never decides, signs or acts: where it would have decided otherwise, the store
   * records the disagreement (see `PolicyRecords`). Its limits are simulated in memory.
   */
  readonly shadow?: CompiledPolicy
  /**
   * Bounds of the session history conditions read as `history` (defaults: 256 entries,
   * 24 hours). A session with more decisions in that time is refused by every rule that
   * reads `history` (DENY `SESSION_HISTORY_EXCEEDED`).
   */
  readonly sessionHistory?: SessionHistoryOptions
}

/** {@link GateOptions} checked, with every default filled in. */
export interface GateSettings {
  readonly policy: CompiledPolicy
  readonly keyRing: KeyRing
  readonly issuer: string
  readonly store: Store
  readonly chainId: string
  readonly ttlSeconds: number
  readonly defaultAgent: string
  readonly timeoutMs: number
  readonly signerTimeoutMs: number
  readonly jsonLimits: JsonLimits | undefined
  readonly clock: () => number
  readonly shadow: CompiledPolicy | undefined
  readonly sessionBounds: SessionBounds
}

function configError(option: string, message: string): WritError {
  return new WritError('GATE_ERROR', message, { details: { option } })
}

/** The policy, if it is a compiled one. @throws WritError `POLICY_INVALID` */
export function checkPolicy(policy: unknown): CompiledPolicy {
  const candidate = policy as Partial<CompiledPolicy> | undefined
  if (
    typeof candidate?.evaluate !== 'function' ||
    !isSignableString(candidate.id, 1024) ||
    !isDigest(candidate.digest)
  ) {
    throw new WritError('POLICY_INVALID', 'The gate needs a compiled policy (see compilePolicy).')
  }
  // A policy whose own self-tests fail never decides (nor shadows).
  if (candidate.document !== undefined) assertPolicySelfTests(candidate as CompiledPolicy)
  return candidate as CompiledPolicy
}

/**
 * Checks `options` in order: policy, keys, issuer, chain id, lifetime, timeout, default
 * agent, JSON limits; fills in the defaults.
 *
 * @throws WritError `POLICY_INVALID`, `KEY_MISSING` or `GATE_ERROR` (with the `option`).
 */
export function resolveGateSettings(options: GateOptions): GateSettings {
  const policy = checkPolicy(options.policy)
  const clock = options.clock ?? Date.now
  const keyRing = keyRingOf(options.keys, clock)
  const timeoutMs = checked('timeoutMs', options.timeoutMs ?? DEFAULT_TIMEOUT_MS)
  return {
    policy,
    keyRing,
    clock,
    issuer: checked('issuer', options.issuer),
    chainId: checked('chainId', options.chainId ?? 'main'),
    ttlSeconds: checked('ttlSeconds', options.ttlSeconds ?? DEFAULT_TTL_SECONDS),
    timeoutMs,
    signerTimeoutMs: checked('signerTimeoutMs', options.signerTimeoutMs ?? timeoutMs / 2),
    defaultAgent: checked('defaultAgent', options.defaultAgent ?? DEFAULT_AGENT),
    jsonLimits: checkJsonLimits(options.limits),
    store: options.store ?? createMemoryStore({ keep: DEFAULT_MEMORY_KEEP }),
    shadow: options.shadow === undefined ? undefined : checkPolicy(options.shadow),
    sessionBounds: sessionBounds(options.sessionHistory),
  }
}

function keyRingOf(
  keys: KeyRing | PrivateSigningJwk | AsyncSigner | undefined,
  clock: () => number,
): KeyRing {
  if (keys === undefined || keys === null) {
    throw new WritError('KEY_MISSING', 'The gate needs a signing key (keys).')
  }
  return isKeyRing(keys) ? keys : createKeyRing(keys, { clock })
}

/** Each checked option: when it is valid, and what to say when it is not. */
const optionRules = {
  issuer: {
    valid: (value: unknown) => isSignableString(value, 1024),
    message: 'The gate needs an issuer name.',
  },
  chainId: {
    valid: (value: unknown) => isSignableString(value, 256),
    message: 'The chain id must be a non-empty string.',
  },
  ttlSeconds: {
    valid: (value: unknown) =>
      Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= MAX_TTL_SECONDS,
    message: `ttlSeconds must be an integer from 1 to ${MAX_TTL_SECONDS}.`,
  },
  timeoutMs: {
    valid: (value: unknown) => Number.isFinite(value) && (value as number) > 0,
    message: 'timeoutMs must be a positive number.',
  },
  signerTimeoutMs: {
    valid: (value: unknown) => Number.isFinite(value) && (value as number) > 0,
    message: 'signerTimeoutMs must be a positive number.',
  },
  defaultAgent: {
    valid: (value: unknown) => isSignableString(value, 256),
    message: 'defaultAgent must be a non-empty string.',
  },
} as const

function checked<T>(option: keyof typeof optionRules, value: T): T {
  const rule = optionRules[option]
  if (!rule.valid(value)) throw configError(option, rule.message)
  return value
}

function checkJsonLimits(limits: JsonLimits | undefined): JsonLimits | undefined {
  try {
    canonicalArgs({}, limits)
  } catch (cause) {
    throw new WritError('GATE_ERROR', 'The JSON limits are not valid.', {
      cause,
      details: { option: 'limits' },
    })
  }
  return limits
}
