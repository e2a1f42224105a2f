/**
 * Holds and approvals for the in-memory store: the reference behaviour of
 * {@link HoldStore}. Every method runs synchronously, so each is atomic.
 */
import { type Digest, WritError } from '@writ/verify'
import type { AppendOptions, IssuedReceipt } from '../types.js'
import type { HoldStore, StoredApproval, StoredHold, StoredHoldState } from './hold-types.js'

/** The memory store's holds, with the hooks its append calls inside its critical section. */
export interface MemoryHolds extends HoldStore {
  /** The state of the hold an append was asked to close, or `null` when there is none. */
  stateFor(options: AppendOptions): StoredHoldState | null | undefined
  /** Refuses what an append must not write (a PERMIT naming a hold that is not open). */
  check(options: AppendOptions, issued: IssuedReceipt): void
  /** Opens or closes holds as the append asked, once its receipt is written. */
  apply(options: AppendOptions, issued: IssuedReceipt): void
}

/** Refuses `approval` for `hold` at `now` when the hold cannot take it (shared by every store). */
export function refuseApproval(
  hold: StoredHold | undefined,
  approvals: readonly StoredApproval[],
  approval: StoredApproval,
  now: number,
): void {
  if (hold === undefined) throw new WritError('HOLD_UNKNOWN', `No hold ${approval.hold} exists.`)
  if (approvals.some((entry) => entry.digest === approval.digest))
    throw new WritError('APPROVAL_USED', 'This approval was recorded before.')
  if (hold.state === 'rejected') throw new WritError('APPROVAL_REJECTED', 'The hold was rejected.')
  if (hold.state === 'used') throw new WritError('HOLD_CLOSED', 'The hold was used by its PERMIT.')
  if (hold.state === 'expired' || hold.exp <= now)
    throw new WritError('APPROVAL_EXPIRED', 'The hold has expired.')
  if (approvals.some((entry) => entry.hold === hold.id && entry.approver === approval.approver))
    throw new WritError('APPROVAL_DUPLICATE', `${approval.approver} already answered this hold.`)
}

/** Refuses a PERMIT that names a hold the store does not have open (shared by every store). */
export function checkHoldClosing(
  options: AppendOptions,
  state: StoredHoldState | null | undefined,
  issued: IssuedReceipt,
): void {
  const named = issued.claims.hold
  if (issued.claims.decision !== 'PERMIT' || named === undefined) return
  if (options.closeHold?.close !== 'used' || options.closeHold.id !== named || state !== 'open') {
    throw new WritError('STORE_CONFLICT', 'A PERMIT names a hold that is not open.', {
      details: { hold: named },
    })
  }
}

/** What the memory store's append calls, inside its critical section. */
function appendHooks(
  holds: Map<string, StoredHold>,
): Pick<MemoryHolds, 'stateFor' | 'check' | 'apply'> {
  const stateFor = (options: AppendOptions) =>
    options.closeHold === undefined ? undefined : (holds.get(options.closeHold.id)?.state ?? null)
  return {
    stateFor,
    check: (options, issued) => checkHoldClosing(options, stateFor(options), issued),
    apply(options, issued) {
      const opening = options.openHold
      if (opening !== undefined && issued.claims.jti === opening.id) {
        const opened: StoredHold = {
          ...opening,
          receipt: issued.token,
          state: 'open',
          permit: null,
        }
        holds.set(opening.id, Object.freeze(opened))
      }
      const closing = options.closeHold
      const hold = closing === undefined ? undefined : holds.get(closing.id)
      if (closing === undefined || hold === undefined || hold.state !== 'open') return
      if (closing.close === 'used' && issued.claims.decision === 'PERMIT') {
        holds.set(hold.id, Object.freeze({ ...hold, state: 'used', permit: issued.claims.jti }))
      } else if (closing.close === 'expired') {
        holds.set(hold.id, Object.freeze({ ...hold, state: 'expired' }))
      }
    },
  }
}

/** Creates the in-memory holds. */
export function createMemoryHolds(ensureOpen: () => void): MemoryHolds {
  const holds = new Map<string, StoredHold>()
  const approvals = new Map<Digest, StoredApproval>()
  const byHold = new Map<string, StoredApproval[]>()
  const read = <T>(run: () => T): Promise<T> => {
    ensureOpen()
    return Promise.resolve(run())
  }
  const newest = () => [...holds.values()].reverse()
  return {
    get: (id) => read(() => holds.get(id)),
    byMatch: (match, limit = 16) =>
      read(() =>
        newest()
          .filter((hold) => hold.match === match)
          .slice(0, limit),
      ),
    list: (options = {}) =>
      read(() =>
        newest()
          .filter((hold) => options.state === undefined || hold.state === options.state)
          .slice(0, options.limit ?? 100),
      ),
    approvals: (hold) => read(() => [...(byHold.get(hold) ?? [])]),
    approval: (digest) => read(() => approvals.get(digest)),
    addApproval: (approval, now) =>
      read(() => {
        const hold = holds.get(approval.hold)
        refuseApproval(hold, [...approvals.values()], approval, now)
        const recorded = Object.freeze({ ...approval })
        approvals.set(approval.digest, recorded)
        byHold.set(approval.hold, [...(byHold.get(approval.hold) ?? []), recorded])
        if (hold !== undefined && approval.verdict === 'reject') {
          holds.set(hold.id, Object.freeze({ ...hold, state: 'rejected' }))
        }
        return holds.get(approval.hold) as StoredHold
      }),
    ...appendHooks(holds),
  }
}
