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
import { answerOf } from './decide/answer.js'
import { applyLimits } from './decide/apply-limits.js'
import { evaluateStep } from './decide/evaluate-step.js'
import { draftReceipt, issueReceipt } from './decide/issue-receipt.js'
import { normalizeRequest } from './decide/normalize-request.js'
import { guardAction, wrapAction } from './gate-helpers.js'
import { checkPolicy, type GateOptions, resolveGateSettings } from './gate-settings.js'
import { isKeyRing, type KeyRing } from './key-ring.js'
import type { CompiledPolicy } from './policy/index.js'
import { signCheckpoint } from './sign-checkpoint.js'
import type { ActionRequest, Decision, Gate, Store, StoredCheckpoint } from './types.js'
import { createUuidV7Generator } from './uuid-v7.js'
import { withTimeout } from './with-timeout.js'

export {
  DEFAULT_AGENT,
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
  const approvals = createGateApprovals(options, store, chainId, clock, () => policy)

  /** Normalize → evaluate → issue (limits applied) → append → answer. */
  async function decide(request: ActionRequest): Promise<Decision> {
    // A decision finishes with the policy and ring it started with.
    const current = policy
    const ring = keyRing
    const iat = Math.floor(clock() / 1000)
    const normalized = normalizeRequest(request, { ...settings, nextId })
    const step = evaluateStep(current, normalized, iat)
    const { outcome, limits } = step
    const draft = draftReceipt(normalized, { ...settings, jti: nextId(), iat, policy: current })
    if (step.approval !== undefined) {
      return decideHeld(
        normalized,
        { ...step, approval: step.approval },
        draft,
        ring.active,
        approvals.held,
      )
    }
    let signed = outcome
    const stored = await store.append(
      chainId,
      limits.length === 0 ? { now: iat } : { now: iat, limits },
      (context) => {
        signed = applyLimits(outcome, context.exceeded)
        return issueReceipt(draft, signed, context.position, ring.active)
      },
    )
    return answerOf(stored, signed, normalized)
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
    authorize: (request) => withTimeout(timeoutMs, () => decide(request)),
    guard: (request, execute, guardOptions) => guardAction(gate, request, execute, guardOptions),
    wrap: (name, fn, wrapOptions) => wrapAction(gate, name, fn, wrapOptions),
    keys: async (): Promise<JwkSet> => keyRing.jwks(),
    holds: approvals.desk,
    get approvers() {
      return approvals.approvers()
    },
    setApprovers: (next) => approvals.setApprovers(next),
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
