/**
 * A gate's approvals, set up once: the approver directory (swappable like the policy),
 * the desk that records approvals (`gate.holds`), and what deciding a held action needs.
 */
import { type WebAuthnApprovalVerifier, WritError } from '@writ/verify'
import type { CompiledPolicy } from '../policy/index.js'
import type { SigningLane } from '../signing-lane.js'
import type { Store } from '../types.js'
import { type ApproverDirectory, isApproverDirectory, parseApprovers } from './approvers.js'
import type { HeldSettings } from './decide-held.js'
import { createHoldDesk, type HoldDesk, holdView } from './hold-desk.js'
import type { HoldView, StoredHold } from './hold-types.js'

/** The approval options of {@link createGate}. */
export interface ApprovalGateOptions {
  /** See `GateOptions.signerTimeoutMs`: also bounds signing a held decision with a key outside the process. */
  readonly signerTimeoutMs?: number
  /** See `GateOptions.timeoutMs`. */
  readonly timeoutMs?: number
  /**
   * The approvers this authority trusts (groups, names, public keys): a directory from
   * `parseApprovers`/`loadApprovers`, or the document itself. Never taken from a request.
   * Without it, held actions can be opened but never approved.
   */
  readonly approvers?: ApproverDirectory | unknown
  /** Verifies passkey (WebAuthn) approvals; without it only signed (JWS) approvals count. */
  readonly webauthn?: WebAuthnApprovalVerifier
  /** Told when a hold opens, after its receipt is durably stored (for notifications). Errors are ignored. */
  readonly onHold?: (hold: HoldView) => void
}

/** A gate's approval machinery. */
export interface GateApprovals {
  readonly desk: HoldDesk
  readonly held: HeldSettings
  readonly approvers: () => ApproverDirectory | undefined
  setApprovers(next: ApproverDirectory | unknown): void
}

function directoryOf(value: unknown): ApproverDirectory | undefined {
  if (value === undefined) return undefined
  if (isApproverDirectory(value)) return value
  if (typeof value === 'object' && value !== null) return parseApprovers(value)
  throw new WritError('GATE_ERROR', 'approvers must be a directory or an approvers document.', {
    details: { option: 'approvers' },
  })
}

/** Tells every listener of a newly opened hold, as approvers will see it; failures stay there. */
function notifier(
  listeners: ReadonlySet<(hold: HoldView) => void>,
  clock: () => number,
  deskSettings: Parameters<typeof holdView>[3],
): (hold: StoredHold) => void {
  return (hold) => {
    if (listeners.size === 0) return
    holdView(hold, [], Math.floor(clock() / 1000), deskSettings).then(
      (view) => {
        for (const listener of listeners) {
          try {
            listener(view)
          } catch {
            // A listener's failure never reaches the agent.
          }
        }
      },
      () => undefined,
    )
  }
}

/** Sets up approvals for a gate on `store`; held decisions sign through the chain's `lane`. */
export function createGateApprovals(
  options: ApprovalGateOptions,
  chain: { readonly store: Store; readonly chainId: string; readonly lane: SigningLane },
  clock: () => number,
  policy: () => CompiledPolicy,
): GateApprovals {
  const { store, chainId, lane } = chain
  let directory = directoryOf(options.approvers)
  const check = {
    get approvers() {
      return directory
    },
    webauthn: options.webauthn,
  }
  const deskSettings = {
    store,
    clock,
    policy,
    get approvers() {
      return directory
    },
    webauthn: options.webauthn,
  }
  const listeners = new Set<(hold: HoldView) => void>()
  if (options.onHold !== undefined) listeners.add(options.onHold)
  const held: HeldSettings = {
    store,
    chainId,
    lane,
    signerTimeoutMs: options.signerTimeoutMs ?? (options.timeoutMs ?? 5000) / 2,
    get approvers() {
      return check.approvers
    },
    webauthn: options.webauthn,
    opened: notifier(listeners, clock, deskSettings),
  }
  const desk: HoldDesk = {
    ...createHoldDesk(deskSettings),
    subscribe(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
  }
  return {
    desk,
    held,
    approvers: () => directory,
    setApprovers(next) {
      directory = directoryOf(next)
    },
  }
}
