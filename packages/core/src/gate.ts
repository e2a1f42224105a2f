/**
 * The local gate: validates a proposed action, evaluates the policy, signs a receipt
 * for every decision, appends it durably, and only then answers. Every failure ends
 * in a DENY receipt or a rejected promise, never in a PERMIT.
 */
import {
  bestEffortDigest,
  canonicalArgs,
  createKeySet,
  type Digest,
  digestOf,
  findLoneSurrogate,
  type HttpBinding,
  type HttpRequestInput,
  httpRequestView,
  isDigest,
  type JsonLimits,
  type JsonObject,
  type JwkSet,
  type KeySet,
  validateActionName,
  WritError,
} from '@writ/verify'
import { escapeActionName } from './action-name-escape.js'
import { guardAction, issuedPermits, wrapAction } from './gate-helpers.js'
import { defaultHttpAction } from './http-action-name.js'
import { createKeyRing, isKeyRing, type KeyRing } from './key-ring.js'
import type { PrivateSigningJwk } from './keys.js'
import { createMemoryStore } from './memory-store.js'
import type { CompiledPolicy, Evaluation } from './policy/index.js'
import {
  checkpointClaims,
  encodeCheckpoint,
  encodeReceipt,
  receiptClaims,
} from './receipt-issuer.js'
import type {
  ActionRequest,
  AppendContext,
  Decision,
  Gate,
  InputProblem,
  IssuedReceipt,
  LimitCheck,
  PermitDecision,
  RefusalDecision,
  Store,
  StoredCheckpoint,
} from './types.js'
import { createUuidV7Generator } from './uuid-v7.js'

/** Longest receipt lifetime a gate accepts, in seconds (spec section 2: 300 s or less). */
export const MAX_TTL_SECONDS = 300
/** Default receipt lifetime, in seconds. */
export const DEFAULT_TTL_SECONDS = 300
/** Default bound on one `authorize`, in milliseconds. */
export const DEFAULT_TIMEOUT_MS = 5000
/** Default agent (`sub`) when neither the request nor the gate names one. */
export const DEFAULT_AGENT = 'anonymous'

/** Options of {@link createGate}. */
export interface GateOptions {
  /** The compiled policy (see `compilePolicy`). */
  readonly policy: CompiledPolicy
  /** A key ring, or one private key (a ring is made of it). */
  readonly keys: KeyRing | PrivateSigningJwk
  /** `iss` of every receipt: the authority's name, usually its URL. */
  readonly issuer: string
  /** Where receipts go; an in-memory store by default (nothing is kept). */
  readonly store?: Store
  /** The chain this gate appends to; `main` by default. */
  readonly chainId?: string
  /** Receipt lifetime (`exp - iat`), 1 to 300 seconds; 300 by default. */
  readonly ttlSeconds?: number
  /** `sub` when a request names no agent; `anonymous` by default. */
  readonly defaultAgent?: string
  /** Bound on one `authorize` (and `checkpoint`), in milliseconds; 5000 by default. */
  readonly timeoutMs?: number
  /** Depth and size bounds on arguments and context. */
  readonly limits?: JsonLimits
  /** Clock in milliseconds since the epoch; `Date.now` by default. */
  readonly clock?: () => number
}

/** A gate running in this process, holding the key, the policy and a store. */
export interface LocalGate extends Gate {
  /** The policy deciding now. */
  readonly policy: CompiledPolicy
  readonly store: Store
  readonly chainId: string
  readonly issuer: string
  /** The signing keys now; rotate or revoke through it, or swap it with {@link setKeyRing}. */
  readonly keyRing: KeyRing
  /** Signs and stores a checkpoint of this gate's chain (size and head now). */
  checkpoint(): Promise<StoredCheckpoint>
  /** Swaps the policy atomically: a decision in progress finishes with the policy it started with. */
  setPolicy(policy: CompiledPolicy): void
  /**
   * Swaps the key ring atomically (for a ring reloaded after `writ keys rotate`): a
   * decision in progress finishes with the ring it started with. Keep every key of the
   * old ring in the new one, or receipts already signed stop verifying.
   */
  setKeyRing(ring: KeyRing): void
  /** A key set, for `@writ/verify`, that verifies this gate's receipts. */
  verifyKeys(): KeySet
}

function configError(option: string, message: string): WritError {
  return new WritError('GATE_ERROR', message, { details: { option } })
}

function checkPolicy(policy: unknown): CompiledPolicy {
  const candidate = policy as Partial<CompiledPolicy> | undefined
  if (
    typeof candidate?.evaluate !== 'function' ||
    !isSignableString(candidate.id, 1024) ||
    !isDigest(candidate.digest)
  ) {
    throw new WritError('POLICY_INVALID', 'The gate needs a compiled policy (see compilePolicy).')
  }
  return candidate as CompiledPolicy
}

/** The name a receipt signs for a request whose action name was refused: escaped, as given. */
function signableName(name: unknown): string {
  return escapeActionName(name)
}

function isShortString(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length >= 1 && value.length <= max
}

/**
 * A string the gate signs into a receipt as given (`sub`, `req`, `aud`, `iss`,
 * `chain.id`): 1 to `max` UTF-16 code units and well-formed. A lone surrogate would be
 * written as a `\uD800` escape that every strict verifier refuses, so the receipt (and
 * every chain check past it) would never verify.
 */
function isSignableString(value: unknown, max: number): value is string {
  return isShortString(value, max) && findLoneSurrogate(value) === -1
}

/** The problem for a request member that is not a signable string. */
function memberProblem(value: unknown, path: string, message: string): InputProblem {
  return typeof value === 'string' && findLoneSurrogate(value) !== -1
    ? { code: 'INPUT_LONE_SURROGATE', message: `${path} contains a lone surrogate`, path }
    : { code: 'INPUT_UNSUPPORTED_TYPE', message, path }
}

function problemOf(error: unknown, prefix: string): InputProblem {
  if (WritError.isInstance(error)) {
    const path = error.details?.['path']
    const pointer = typeof path === 'string' ? path : ''
    return { code: error.code, message: error.message, path: `${prefix}${pointer}` }
  }
  return { code: 'INPUT_UNSUPPORTED_TYPE', message: 'The input could not be read.', path: prefix }
}

const decisionKinds: ReadonlySet<unknown> = new Set(['PERMIT', 'DENY', 'SILENCE'])

/** Checks what a policy returned; anything unexpected is an evaluation error. */
function checkEvaluation(value: unknown): Evaluation {
  const evaluation = value as Partial<Evaluation> | undefined
  if (
    !decisionKinds.has(evaluation?.decision) ||
    !isSignableString(evaluation?.reason, 256) ||
    !(evaluation?.rule === null || isSignableString(evaluation?.rule, 256)) ||
    !Array.isArray(evaluation?.limits)
  ) {
    throw new TypeError('The policy returned a malformed evaluation.')
  }
  for (const limit of evaluation.limits as readonly Partial<LimitCheck>[]) {
    if (
      !isSignableString(limit?.id, 256) ||
      !isShortString(limit?.key, 1024) ||
      typeof limit?.windowSeconds !== 'number' ||
      !(limit.windowSeconds > 0) ||
      typeof limit.max !== 'number' ||
      Number.isNaN(limit.max) ||
      typeof limit.amount !== 'number' ||
      !Number.isFinite(limit.amount)
    ) {
      throw new TypeError('The policy returned a malformed limit.')
    }
  }
  return evaluation as Evaluation
}

/** A frozen copy of claims and their nested objects: receipts never change once signed. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const member of Object.values(value)) deepFreeze(member)
    Object.freeze(value)
  }
  return value
}

/**
 * The reason a DENY for an exceeded limit carries: the limit check's own, else the
 * reason the policy document gives that limit, else `LIMIT_EXCEEDED`.
 */
function limitReason(policy: CompiledPolicy, limit: LimitCheck): string {
  if (isSignableString(limit.reason, 64)) return limit.reason
  const document = policy.document as { readonly limits?: unknown } | undefined
  const limits = Array.isArray(document?.limits) ? (document.limits as readonly unknown[]) : []
  for (const candidate of limits) {
    const defined = candidate as { readonly id?: unknown; readonly reason?: unknown } | null
    if (defined?.id === limit.id && isSignableString(defined.reason, 64)) return defined.reason
  }
  return 'LIMIT_EXCEEDED'
}

/** Arguments bound into a receipt: a deep-frozen value and the digest of its canonical form. */
interface BoundArgs {
  readonly value: Readonly<JsonObject>
  readonly digest: Digest
}

/**
 * Step one of deciding: the arguments the policy evaluates and, for an HTTP action, the
 * binding the receipt signs, both from one source. An HTTP action's arguments are
 * derived from the request itself (spec section 10), never taken beside it.
 */
function bindArgs(
  action: string | undefined,
  args: unknown,
  httpRequest: unknown,
  limits: JsonLimits | undefined,
): { readonly args: BoundArgs; readonly http?: HttpBinding } | { readonly problem: InputProblem } {
  if (httpRequest === undefined && action?.startsWith('http.') === true) {
    // `http.<method>` names a request: arguments given beside it could describe another.
    return {
      problem: {
        code: 'INPUT_SYNTAX',
        message: 'An http.* action is decided on the request itself: send httpRequest, not args.',
        path: 'httpRequest',
      },
    }
  }
  if (httpRequest === undefined) {
    try {
      return { args: canonicalArgs(args, limits) }
    } catch (error) {
      return { problem: problemOf(error, '') }
    }
  }
  if (args !== undefined) {
    return {
      problem: {
        code: 'INPUT_SYNTAX',
        message: 'An HTTP action takes its arguments from httpRequest; do not also send args.',
        path: 'args',
      },
    }
  }
  try {
    const view = httpRequestView(httpRequest as HttpRequestInput, {
      ...(limits === undefined ? {} : { limits }),
      ...(limits?.maxBytes === undefined ? {} : { maxBodyBytes: limits.maxBytes }),
    })
    return { args: { value: view.args, digest: view.argsDigest }, http: view.binding }
  } catch (error) {
    return { problem: problemOf(error, 'httpRequest/') }
  }
}

/**
 * `act.args` of a DENY for refused input: the digest of the arguments as received, or,
 * for a refused HTTP request, of its method, URI, content type and body digest.
 */
function refusedArgsDigest(args: unknown, httpRequest: unknown): Digest {
  if (httpRequest === undefined || typeof httpRequest !== 'object' || httpRequest === null) {
    return bestEffortDigest(args)
  }
  const { method, uri, contentType, body } = httpRequest as Partial<HttpRequestInput>
  return bestEffortDigest({
    method,
    uri,
    contentType,
    body: body instanceof Uint8Array ? digestOf(body) : undefined,
  })
}

interface Outcome {
  readonly decision: 'PERMIT' | 'DENY' | 'SILENCE'
  readonly reason: string
  readonly rule: string | null
}

/**
 * Creates a gate that decides in this process.
 *
 * `authorize` resolves with a signed, durably stored receipt for every decision:
 * refused input is a DENY with reason `INPUT_INVALID` (and a `problem`), a policy that
 * throws is a DENY with reason `EVAL_ERROR`, an exceeded limit is a DENY with the
 * limit's reason (`LIMIT_EXCEEDED` by default). It rejects, and nothing may run, when
 * no receipt can be issued: `GATE_TIMEOUT` after `timeoutMs`, the store's error
 * (`STORE_UNAVAILABLE`, `STORE_FULL`, …), a key error, or `GATE_ERROR`.
 *
 * @example
 * ```ts
 * const gate = createGate({ policy: compilePolicy(text), keys: generateSigningKey(), issuer: 'https://writ.example' })
 * const result = await gate.guard({ action: 'payments.transfer', args: modelJson }, (args) => pay(args))
 * ```
 */
export function createGate(options: GateOptions): LocalGate {
  let policy = checkPolicy(options.policy)
  if (options.keys === undefined || options.keys === null) {
    throw new WritError('KEY_MISSING', 'The gate needs a signing key (keys).')
  }
  const clock = options.clock ?? Date.now
  let keyRing = isKeyRing(options.keys) ? options.keys : createKeyRing(options.keys, { clock })
  const issuer = options.issuer
  if (!isSignableString(issuer, 1024)) throw configError('issuer', 'The gate needs an issuer name.')
  const chainId = options.chainId ?? 'main'
  if (!isSignableString(chainId, 256))
    throw configError('chainId', 'The chain id must be a non-empty string.')
  const ttlSeconds = options.ttlSeconds ?? DEFAULT_TTL_SECONDS
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_TTL_SECONDS) {
    throw configError('ttlSeconds', `ttlSeconds must be an integer from 1 to ${MAX_TTL_SECONDS}.`)
  }
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw configError('timeoutMs', 'timeoutMs must be a positive number.')
  }
  const defaultAgent = options.defaultAgent ?? DEFAULT_AGENT
  if (!isSignableString(defaultAgent, 256))
    throw configError('defaultAgent', 'defaultAgent must be a non-empty string.')
  const jsonLimits = options.limits
  try {
    canonicalArgs({}, jsonLimits)
  } catch (cause) {
    throw new WritError('GATE_ERROR', 'The JSON limits are not valid.', {
      cause,
      details: { option: 'limits' },
    })
  }
  const store = options.store ?? createMemoryStore()
  const nextId = createUuidV7Generator(clock)

  function withTimeout<T>(work: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new WritError(
            'GATE_TIMEOUT',
            `No decision within ${timeoutMs} ms; the action must not run.`,
          ),
        )
      }, timeoutMs)
      work().then(
        (value) => {
          clearTimeout(timer)
          resolve(value)
        },
        (error: unknown) => {
          clearTimeout(timer)
          reject(
            WritError.isInstance(error)
              ? error
              : new WritError('GATE_ERROR', 'The gate failed; the action must not run.', {
                  cause: error,
                }),
          )
        },
      )
    })
  }

  async function decide(request: ActionRequest): Promise<Decision> {
    const current = policy
    const ring = keyRing
    const nowMs = clock()
    const iat = Math.floor(nowMs / 1000)
    const given: Partial<ActionRequest> =
      typeof request === 'object' && request !== null ? request : {}
    // Each member is read exactly once: a getter or Proxy cannot show the checks one
    // value and the receipt (or the executor) another.
    const input = {
      action: given.action as unknown,
      args: given.args as unknown,
      agent: given.agent as unknown,
      request: given.request as unknown,
      context: given.context as unknown,
      audience: given.audience as unknown,
      httpRequest: given.httpRequest as unknown,
    }
    let problem: InputProblem | undefined

    let action: string | undefined
    try {
      action = validateActionName(input.action ?? defaultHttpAction(input.httpRequest))
    } catch (error) {
      problem = { ...problemOf(error, ''), path: 'action' }
    }
    let args: BoundArgs | undefined
    let http: HttpBinding | undefined
    if (problem === undefined && (given as { http?: unknown }).http !== undefined) {
      problem = {
        code: 'INPUT_SYNTAX',
        message:
          'The gate binds an HTTP action to the request it derives itself: send httpRequest, not http.',
        path: 'http',
      }
    }
    if (problem === undefined) {
      const bound = bindArgs(action, input.args, input.httpRequest, jsonLimits)
      if ('problem' in bound) problem = bound.problem
      else ({ args, http } = bound)
    }
    let agent = defaultAgent
    if (input.agent !== undefined) {
      if (isSignableString(input.agent, 256)) agent = input.agent
      else
        problem ??= memberProblem(
          input.agent,
          'agent',
          'agent must be a string of 1 to 256 characters',
        )
    }
    let req: string | undefined
    if (input.request !== undefined) {
      if (isSignableString(input.request, 256)) req = input.request
      else
        problem ??= memberProblem(
          input.request,
          'request',
          'request must be a string of 1 to 256 characters',
        )
    }
    req ??= nextId()
    let context: Readonly<JsonObject> = Object.freeze({})
    if (input.context !== undefined && problem === undefined) {
      try {
        context = canonicalArgs(input.context, jsonLimits).value
      } catch (error) {
        problem = problemOf(error, 'context')
      }
    }
    let audience: string | undefined
    if (input.audience !== undefined) {
      if (isSignableString(input.audience, 1024)) audience = input.audience
      else
        problem ??= memberProblem(input.audience, 'audience', 'audience must be a non-empty string')
    }

    let outcome: Outcome
    let limits: readonly LimitCheck[] = []
    let argsDigest: Digest
    if (problem !== undefined || action === undefined || args === undefined) {
      outcome = { decision: 'DENY', reason: 'INPUT_INVALID', rule: null }
      argsDigest = args?.digest ?? refusedArgsDigest(input.args, input.httpRequest)
    } else {
      argsDigest = args.digest
      try {
        const evaluation = checkEvaluation(
          current.evaluate({
            action,
            args: args.value,
            agent,
            context,
            now: iat,
            audience: audience ?? null,
          }),
        )
        outcome = {
          decision: evaluation.decision,
          reason: evaluation.reason,
          rule: evaluation.rule,
        }
        // Limits only matter for a PERMIT: a refusal reserves nothing.
        if (evaluation.decision === 'PERMIT')
          limits = evaluation.limits.map((limit) => ({ ...limit }))
      } catch {
        // Fail closed: an evaluation that cannot finish is a DENY, never a PERMIT.
        outcome = { decision: 'DENY', reason: 'EVAL_ERROR', rule: null }
      }
    }

    const content = {
      iss: issuer,
      jti: nextId(),
      iat,
      exp: iat + ttlSeconds,
      sub: agent,
      aud: audience,
      req,
      policy: { id: current.id, digest: current.digest },
      act: { name: action ?? signableName(input.action), args: argsDigest },
      http,
    }
    let final: Outcome = outcome
    const issue = (appendContext: AppendContext): IssuedReceipt => {
      final = outcome
      const exceeded = appendContext.exceeded
      if (outcome.decision === 'PERMIT' && exceeded !== null) {
        final = { decision: 'DENY', reason: limitReason(current, exceeded), rule: exceeded.id }
      }
      const signer = ring.active
      const key = signer.publicJwk
      if ((key.nbf !== undefined && iat < key.nbf) || (key.exp !== undefined && iat > key.exp)) {
        throw new WritError('KEY_INVALID', 'The active key is not valid at the decision time.', {
          details: { kid: signer.kid, iat },
        })
      }
      const claims = deepFreeze(
        receiptClaims(
          { ...content, ...final },
          {
            id: appendContext.position.chainId,
            seq: appendContext.position.seq,
            prev: appendContext.position.prev,
          },
        ),
      )
      return { token: encodeReceipt(claims, signer), claims, reserve: final.decision === 'PERMIT' }
    }
    const stored = await store.append(
      chainId,
      limits.length === 0 ? { now: iat } : { now: iat, limits },
      issue,
    )
    const claims = stored.claims
    if (claims.decision === 'PERMIT') {
      if (final.decision !== 'PERMIT' || args === undefined) {
        throw new WritError('GATE_ERROR', 'The store returned a receipt the gate did not issue.')
      }
      const permit: PermitDecision = {
        decision: 'PERMIT',
        reason: claims.reason,
        rule: claims.rule,
        receipt: stored.token,
        claims,
        args: args.value,
      }
      Object.freeze(permit)
      // `guard` may trust this PERMIT's binding without canonicalizing the arguments again.
      issuedPermits.add(permit)
      return permit
    }
    const refusal: RefusalDecision = {
      decision: claims.decision,
      reason: claims.reason,
      rule: claims.rule,
      receipt: stored.token,
      claims,
      ...(problem === undefined ? {} : { problem: Object.freeze(problem) }),
    }
    return Object.freeze(refusal)
  }

  const gate: LocalGate = {
    get policy() {
      return policy
    },
    store,
    chainId,
    issuer,
    get keyRing() {
      return keyRing
    },
    authorize(request) {
      return withTimeout(() => decide(request))
    },
    guard(request, execute) {
      return guardAction(gate, request, execute)
    },
    wrap(name, fn, wrapOptions) {
      return wrapAction(gate, name, fn, wrapOptions)
    },
    async keys(): Promise<JwkSet> {
      return keyRing.jwks()
    },
    verifyKeys() {
      return createKeySet(keyRing.jwks())
    },
    setPolicy(next) {
      policy = checkPolicy(next)
    },
    setKeyRing(next) {
      if (!isKeyRing(next)) throw new WritError('KEY_INVALID', 'setKeyRing needs a key ring.')
      keyRing = next
    },
    checkpoint() {
      return withTimeout(async () => {
        const position = await store.head(chainId)
        const iat = Math.floor(clock() / 1000)
        const claims = checkpointClaims({
          iss: issuer,
          chain: chainId,
          size: position.seq,
          head: position.prev,
          iat,
        })
        const checkpoint: StoredCheckpoint = Object.freeze({
          chainId,
          size: position.seq,
          head: position.prev,
          iat,
          token: encodeCheckpoint(claims, keyRing.active),
        })
        await store.putCheckpoint(checkpoint)
        return checkpoint
      })
    },
  }
  return gate
}
