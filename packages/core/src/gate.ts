/**
 * The local gate: validates a proposed action, evaluates the policy, signs a receipt
 * for every decision, appends it durably, and only then answers. Every failure ends
 * in a DENY receipt or a rejected promise, never in a PERMIT.
 */
import { createKeySet, type JwkSet, type KeySet, WritError } from '@writ/verify'
import type { ApproverDirectory } from './approvals/approvers.js'
import { decideHeld } from './approvals/decide-held.js'
import { createGateApprovals } from './approvals/gate-approvals.js'
import type { HoldDesk } from './approvals/hold-desk.js'
import { type AnySigner, isAsyncSigner } from './async-signer.js'
import { answerOf } from './decide/answer.js'
import { applyLimits } from './decide/apply-limits.js'
import { evaluateStep, refusedStep } from './decide/evaluate-step.js'
import { draftReceipt, issueReceipt } from './decide/issue-receipt.js'
import {
  type NormalizedRequest,
  type NormalizeSettings,
  normalizeRequest,
} from './decide/normalize-request.js'
import type { Outcome } from './decide/outcome.js'
import { guardAction, wrapAction } from './gate-helpers.js'
import {
  checkPolicy,
  type GateOptions,
  type GateSettings,
  resolveGateSettings,
} from './gate-settings.js'
import { isKeyRing, type KeyRing } from './key-ring.js'
import { traceDecision } from './operations/decision-span.js'
import {
  createDecisionObserver,
  type DecisionObserver,
  type DecisionSight,
} from './operations/observe-decision.js'
import type { CandidateView, ShadowStats } from './operations/shadow.js'
import type { CompiledPolicy } from './policy/index.js'
import {
  createSessionQueue,
  isSessionMoved,
  NO_SESSION_VIEW,
  type SessionAppend,
  type SessionBounds,
  type SessionView,
  viewSession,
} from './session-history.js'
import { signCheckpoint } from './sign-checkpoint.js'
import { createSigningLane, type LaneRequest, type SigningLane } from './signing-lane.js'
import type {
  ActionRequest,
  AppendOptions,
  Decision,
  Gate,
  Store,
  StoredCheckpoint,
  StoredReceipt,
} from './types.js'
import { createUuidV7Generator } from './uuid-v7.js'
import { withTimeout } from './with-timeout.js'

export {
  DEFAULT_AGENT,
  DEFAULT_MEMORY_KEEP,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_TTL_SECONDS,
  type GateOptions,
  MAX_TTL_SECONDS,
} from './gate-settings.js'

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
  /** Holds for approval: list and read them, and submit approvals (spec section 11). */
  readonly holds: HoldDesk
  /** The approvers this gate trusts now. */
  readonly approvers: ApproverDirectory | undefined
  /** Swaps the approvers atomically (for a reloaded file or a newly registered passkey). */
  setApprovers(next: ApproverDirectory | unknown): void
  /** Counters of the shadow candidate, or `undefined` when the gate shadows nothing. */
  shadowStats(): ShadowStats | undefined
  /**
   * Swaps the shadow candidate atomically (`undefined` stops shadowing): a decision in
   * progress is compared with the candidate it started with. The same candidate (same id
   * and digest) keeps its counters and simulated limits.
   *
   * @throws WritError `POLICY_INVALID` for something that is not a compiled policy, or
   * `POLICY_SELF_TEST_FAILED` for a candidate whose own tests fail (nothing is swapped).
   */
  setShadow(candidate: CompiledPolicy | undefined): void
}

/** One decision's receipt, ready to be signed and appended. */
type AppendStep = Omit<LaneRequest, 'signer' | 'deadline'> & { readonly signer: AnySigner }

/**
 * Signs and appends one receipt, and sets `result.signed` to the outcome signed into it:
 * with a key in memory inside the store's transaction (the store's own promise, no extra
 * turn); with an external signer before it, through the chain's signing lane.
 */
function appendReceipt(
  { store, chainId, signerTimeoutMs }: Pick<GateSettings, 'store' | 'chainId' | 'signerTimeoutMs'>,
  lane: SigningLane,
  step: AppendStep,
  result: { signed: Outcome },
): Promise<StoredReceipt> {
  const { signer, outcome, limits, iat, session } = step
  if (isAsyncSigner(signer)) {
    // The key is outside the process: signed before the append, bounded by the deadline.
    // The deadline runs on a monotonic clock, whatever clock the gate has.
    const deadline = performance.now() + signerTimeoutMs
    return lane.append({ ...step, signer, deadline }).then((laid) => {
      result.signed = laid.signed
      return laid.stored
    })
  }
  return store.append(chainId, appendOptionsOf(iat, limits, session), (context) => {
    result.signed = applyLimits(outcome, context.exceeded)
    return issueReceipt(step.draft, result.signed, context.position, signer)
  })
}

/** The store's append options: only the members a decision has, built without spreads. */
function appendOptionsOf(
  now: number,
  limits: AppendStep['limits'],
  session: SessionAppend | undefined,
): AppendOptions {
  if (session === undefined) return limits.length === 0 ? { now } : { now, limits }
  return limits.length === 0 ? { now, session } : { now, limits, session }
}

/** How many times a decision is judged again because its session moved, before it fails. */
const SESSION_ATTEMPTS = 8

/**
 * What the append writes to the session: nothing without a session or a store that keeps
 * them; with the version read when the decision was judged on the history.
 */
function sessionAppendOf(
  store: Store,
  normalized: NormalizedRequest,
  tags: readonly string[],
  view: SessionView,
  bounds: SessionBounds,
): SessionAppend | undefined {
  if (store.sessions === undefined || normalized.session === undefined) return undefined
  return {
    id: normalized.session,
    tags,
    keepSeconds: bounds.maxAgeSeconds,
    ...(view.kind === 'read' ? { expect: view.version } : {}),
  }
}

/** Signs and appends a decision that holds nothing, and reads the answer from the store. */
async function appendAndAnswer(
  settings: Pick<GateSettings, 'store' | 'chainId' | 'signerTimeoutMs'>,
  lane: SigningLane,
  step: AppendStep,
  normalized: NormalizedRequest,
): Promise<Decision> {
  const result = { signed: step.outcome }
  const stored = await appendReceipt(settings, lane, step, result)
  return answerOf(stored, result.signed, normalized)
}

/**
 * The session history a shadow candidate is judged on: the enforcing decision's own read
 * when it made one, else a read for the candidate alone (before the append, so it holds
 * the same enforced decisions), `unread` when that read fails. The candidate never
 * changes what the enforcing decision reads or how it is appended.
 */
async function candidateView(
  sight: DecisionSight,
  enforcing: SessionView,
  { store, sessionBounds }: Pick<GateSettings, 'store' | 'sessionBounds'>,
  normalized: NormalizedRequest,
  iat: number,
): Promise<CandidateView | undefined> {
  const candidate = sight.shadow?.candidate
  if (candidate === undefined) return undefined
  if (enforcing.kind === 'read') return enforcing
  try {
    return await viewSession(candidate, store.sessions, normalized, sessionBounds, iat)
  } catch {
    return { kind: 'unread' }
  }
}

/** Decides once: reads the session (when a rule reads it), evaluates, signs and appends. */
function createDecideOnce(
  settings: GateSettings,
  lane: SigningLane,
  held: Parameters<typeof decideHeld>[4],
  nextId: () => string,
  now: () => { policy: CompiledPolicy; keyRing: KeyRing },
): (normalized: NormalizedRequest, sight: DecisionSight) => Promise<Decision> {
  const { store, clock, sessionBounds } = settings
  return async (normalized, sight) => {
    // A decision finishes with the policy and ring it started with.
    const { policy: current, keyRing: ring } = now()
    const iat = Math.floor(clock() / 1000)
    // Without a session there is no history to read: no turn of the event loop is spent on it.
    const view =
      normalized.session === undefined
        ? NO_SESSION_VIEW
        : await viewSession(current, store.sessions, normalized, sessionBounds, iat)
    const step =
      view.kind === 'refused'
        ? refusedStep(view.reason, view.rule)
        : evaluateStep(current, normalized, iat, view.kind === 'read' ? view.history : null)
    if (sight.shadow !== undefined) {
      sight.view = await candidateView(sight, view, settings, normalized, iat)
    }
    sight.tags = step.tags
    const session = sessionAppendOf(store, normalized, step.tags, view, sessionBounds)
    const draft = draftReceipt(normalized, {
      issuer: settings.issuer,
      ttlSeconds: settings.ttlSeconds,
      jti: nextId(),
      iat,
      policy: current,
    })
    const signer = ring.active
    if (step.approval !== undefined) {
      return decideHeld(normalized, step, draft, signer, held, session)
    }
    const { outcome, limits } = step
    const laid: AppendStep =
      session === undefined
        ? { outcome, limits, draft, iat, signer }
        : { outcome, limits, draft, iat, signer, session }
    return appendAndAnswer(settings, lane, laid, normalized)
  }
}

/**
 * Runs decisions whose action reads a session's history one at a time per session in
 * this process, and judges one again when another process moved its session first.
 */
function createSessionRetry(
  decideOnce: (normalized: NormalizedRequest, sight: DecisionSight) => Promise<Decision>,
  policy: () => CompiledPolicy,
): (normalized: NormalizedRequest, sight: DecisionSight) => Promise<Decision> {
  const inSession = createSessionQueue()
  // A session the shadow candidate reads is queued too, so it sees the history in order.
  const reads = (action: string, sight: DecisionSight) =>
    policy().readsHistory?.(action) ?? sight.shadow?.candidate.readsHistory?.(action)
  const queueOf = ({ action, session }: NormalizedRequest, sight: DecisionSight) =>
    action === undefined || session === undefined || reads(action, sight) === undefined
      ? undefined
      : session
  const judge = async (normalized: NormalizedRequest, sight: DecisionSight) => {
    for (let attempt = 1; ; attempt++) {
      try {
        return await inSession(queueOf(normalized, sight), () => decideOnce(normalized, sight))
      } catch (error) {
        // The session gained a decision since it was read: judge again on the new history.
        if (!isSessionMoved(error) || attempt >= SESSION_ATTEMPTS) throw error
      }
    }
  }
  // Without a session nothing is read or written that another decision could move.
  return (normalized, sight) =>
    normalized.session === undefined ? decideOnce(normalized, sight) : judge(normalized, sight)
}

/**
 * `decision`, once the observer (retention, shadow) has seen it: after signing, so it
 * cannot change the decision. A decision with nothing to observe is returned as it is.
 */
function observed(
  observer: DecisionObserver,
  normalized: NormalizedRequest,
  decision: Decision,
  sight: DecisionSight,
): Decision | Promise<Decision> {
  const observing = observer.observe(normalized, decision, sight)
  return observing === undefined ? decision : observing.then(() => decision)
}

/** What normalizing a request reads, built once per gate: a decision does not copy settings. */
function normalizeSettingsOf(settings: GateSettings, nextId: () => string): NormalizeSettings {
  return { defaultAgent: settings.defaultAgent, jsonLimits: settings.jsonLimits, nextId }
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
  const settings = resolveGateSettings(options)
  const { issuer, chainId, store, clock, timeoutMs } = settings
  let policy = settings.policy
  let keyRing = settings.keyRing
  const nextId = createUuidV7Generator(clock)
  const lane = createSigningLane(store, chainId, () => performance.now())
  const approvals = createGateApprovals(options, { store, chainId, lane }, clock, () => policy)
  const observer = createDecisionObserver(settings.shadow, store)
  const decideOnce = createDecideOnce(settings, lane, approvals.held, nextId, () => ({
    policy,
    keyRing,
  }))
  const normalizeSettings = normalizeSettingsOf(settings, nextId)
  const decideInSession = createSessionRetry(decideOnce, () => policy)

  /** Normalize → (read the session) → evaluate → issue (limits applied) → append → answer. */
  async function decide(request: ActionRequest): Promise<Decision> {
    const normalized = normalizeRequest(request, normalizeSettings)
    const sight = observer.sight()
    const decision = await decideInSession(normalized, sight)
    return observed(observer, normalized, decision, sight)
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
    authorize: (request) => withTimeout(timeoutMs, () => traceDecision(() => decide(request))),
    guard: (request, execute, guardOptions) => guardAction(gate, request, execute, guardOptions),
    wrap: (name, fn, wrapOptions) => wrapAction(gate, name, fn, wrapOptions),
    keys: async (): Promise<JwkSet> => keyRing.jwks(),
    holds: approvals.desk,
    get approvers() {
      return approvals.approvers()
    },
    setApprovers: (next) => approvals.setApprovers(next),
    shadowStats: () => observer.shadow?.stats(),
    setShadow(next) {
      observer.setShadow(next === undefined ? undefined : checkPolicy(next))
    },
    verifyKeys: () => createKeySet(keyRing.jwks()),
    setPolicy(next) {
      policy = checkPolicy(next)
    },
    setKeyRing(next) {
      if (!isKeyRing(next)) throw new WritError('KEY_INVALID', 'setKeyRing needs a key ring.')
      keyRing = next
    },
    checkpoint: () => withTimeout(timeoutMs, () => signCheckpoint(settings, () => keyRing.active)),
  }
  return gate
}
