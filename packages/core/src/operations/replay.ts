/**
 * Replay: the recorded requests of a store decided again by a candidate policy, each at
 * its original time, in the order they were decided, the candidate's limits simulated
 * in that order. Only retained copies that match their receipt are used.
 */
import { type ReceiptClaims, WritError } from '@writ/verify'
import type { NormalizedRequest } from '../decide/normalize-request.js'
import { compileGlob } from '../policy/action-pattern.js'
import type { CompiledPolicy } from '../policy/index.js'
import type { SessionHistoryOptions } from '../session-history.js'
import type { Store } from '../types.js'
import { createLimitSimulator } from './limit-simulator.js'
import type { PolicyRecords, RetainedRequest, ShadowDisagreement } from './records.js'
import { createReplaySessions, type NotReplayableReason } from './replay-sessions.js'
import { checkRetained } from './retention.js'
import { candidateOutcome, outcomesDiffer } from './shadow.js'
import { type DecisionTransition, summarizeTransitions } from './transitions.js'

export type { NotReplayableReason } from './replay-sessions.js'

/** Which recorded decisions to replay. */
export interface ReplayOptions {
  /** Decisions at or after this time (seconds since the epoch). */
  readonly since?: number
  /** Decisions at or before this time. */
  readonly until?: number
  /** Only actions matching this name or glob. */
  readonly action?: string
  /**
   * The bounds of the session history the gate ran with (`createGate`'s
   * `sessionHistory`); the same defaults. Decisions up to `maxAgeSeconds` before `since`
   * are read to rebuild the history of the first replayed requests.
   */
  readonly sessionHistory?: SessionHistoryOptions
}

/** A recorded request that could not be replayed faithfully, and why. */
export interface NotReplayable {
  /** The receipt's `jti`. */
  readonly receipt: string
  /** Why its session history could not be rebuilt. */
  readonly reason: NotReplayableReason
}

/** A replayed request whose answer changed. */
export type ReplayChange = ShadowDisagreement

/** What a replay found. */
export interface ReplayReport {
  readonly candidate: { readonly id: string; readonly digest: string }
  /** Recorded decisions in range. */
  readonly considered: number
  /** Decided again with a retained copy (verified or redacted). */
  readonly replayed: number
  readonly changed: number
  /** Replayed from a redacted copy: conditions on redacted paths saw digests. */
  readonly redacted: number
  /** Refused input (`INPUT_INVALID`): no arguments to decide on, unchanged by any policy. */
  readonly inputInvalid: number
  /** Receipts without a retained copy (retention off for the action, or not written). */
  readonly notRetained: number
  /** Receipt ids of retained copies that did not match their receipt: reported, never used. */
  readonly mismatched: readonly string[]
  /**
   * Requests the candidate would judge on their session, which the store cannot rebuild:
   * reported, never decided on a guess.
   */
  readonly notReplayable: readonly NotReplayable[]
  readonly transitions: readonly DecisionTransition[]
  readonly changes: readonly ReplayChange[]
}

/** Recorded receipts in range, in decision order (time, then chain and position). */
export async function recordedDecisions(
  store: Store,
  options: ReplayOptions = {},
): Promise<ReceiptClaims[]> {
  const matches = options.action === undefined ? () => true : compileGlob(options.action)
  const selected: ReceiptClaims[] = []
  for (const chainId of await store.chains()) {
    for await (const { claims } of store.receipts(chainId)) {
      if (options.since !== undefined && claims.iat < options.since) continue
      if (options.until !== undefined && claims.iat > options.until) continue
      if (matches(claims.act.name)) selected.push(claims)
    }
  }
  return selected.sort(
    (left, right) =>
      left.iat - right.iat ||
      (left.chain.id < right.chain.id ? -1 : left.chain.id > right.chain.id ? 1 : 0) ||
      left.chain.seq - right.chain.seq,
  )
}

/** The request a retained copy stands for, as the gate normalized it. */
function requestOf(claims: ReceiptClaims, retained: RetainedRequest): NormalizedRequest {
  return {
    ...(typeof retained.session === 'string' ? { session: retained.session } : {}),
    action: claims.act.name,
    signedName: claims.act.name,
    args: { value: retained.args, digest: claims.act.args },
    argsDigest: claims.act.args,
    http: undefined,
    agent: claims.sub,
    req: claims.req,
    context: retained.context,
    audience: claims.aud,
    refs: undefined,
    problem: undefined,
  }
}

/** What one replay keeps while it walks the recorded decisions. */
interface ReplayWalk {
  readonly candidate: CompiledPolicy
  readonly records: PolicyRecords
  readonly simulator: ReturnType<typeof createLimitSimulator>
  readonly sessions: ReturnType<typeof createReplaySessions>
  readonly tally: { replayed: number; redacted: number; inputInvalid: number; notRetained: number }
  readonly mismatched: string[]
  readonly notReplayable: NotReplayable[]
  readonly changes: ReplayChange[]
}

/**
 * Replays the recorded decisions of `store` with `candidate`. Each session's history is
 * rebuilt from the retained copies in decision order: the history of enforced
 * decisions, as the gate read it and as a shadow candidate saw it.
 *
 * @throws WritError `STORE_UNAVAILABLE` when the store keeps no policy-operations records.
 */
export async function replayDecisions(
  store: Store,
  candidate: CompiledPolicy,
  options: ReplayOptions = {},
): Promise<ReplayReport> {
  const sessions = createReplaySessions(candidate, options.sessionHistory)
  const walk: ReplayWalk = {
    candidate,
    records: recordsOf(store),
    simulator: createLimitSimulator(),
    sessions,
    tally: { replayed: 0, redacted: 0, inputInvalid: 0, notRetained: 0 },
    mismatched: [],
    notReplayable: [],
    changes: [],
  }
  const matches = options.action === undefined ? () => true : compileGlob(options.action)
  const since = options.since
  // Earlier decisions within the history window only rebuild the sessions.
  const read = await recordedDecisions(store, {
    ...(options.until === undefined ? {} : { until: options.until }),
    ...(since === undefined ? {} : { since: since - sessions.maxAgeSeconds }),
  })
  let considered = 0
  for (const claims of read) {
    const replays = (since === undefined || claims.iat >= since) && matches(claims.act.name)
    if (replays) considered++
    await replayOne(walk, claims, replays)
  }
  const { changes } = walk
  return {
    candidate: { id: candidate.id, digest: candidate.digest },
    considered,
    ...walk.tally,
    changed: changes.length,
    mismatched: walk.mismatched,
    notReplayable: walk.notReplayable,
    transitions: summarizeTransitions(changes),
    changes,
  }
}

/** Replays one recorded decision (when `replays`), then adds it to its session's history. */
async function replayOne(walk: ReplayWalk, claims: ReceiptClaims, replays: boolean) {
  const { tally, sessions } = walk
  const retained = await walk.records.retained(claims.jti)
  const status = retained === undefined ? undefined : checkRetained(retained, claims)
  const usable = status === undefined || status === 'mismatch' ? undefined : retained
  if (replays) {
    if (retained === undefined) {
      if (claims.reason === 'INPUT_INVALID') tally.inputInvalid++
      else tally.notRetained++
    } else if (usable === undefined) walk.mismatched.push(claims.jti)
    else decideAgain(walk, claims, usable, status === 'redacted')
  }
  sessions.record(claims, usable)
}

function decideAgain(
  walk: ReplayWalk,
  claims: ReceiptClaims,
  retained: RetainedRequest,
  redacted: boolean,
): void {
  const { candidate, sessions } = walk
  const request = requestOf(claims, retained)
  const view = sessions.view(claims, retained)
  if (typeof view === 'string') {
    walk.notReplayable.push({ receipt: claims.jti, reason: view })
    return
  }
  const outcome = candidateOutcome(candidate, request, claims.iat, walk.simulator.settle, view)
  if (retained.session === undefined && outcome.reason === 'SESSION_REQUIRED') {
    // A per-session limit, and a copy kept before Writ recorded the session.
    walk.notReplayable.push({ receipt: claims.jti, reason: 'session-not-retained' })
    return
  }
  if (redacted) walk.tally.redacted++
  walk.tally.replayed++
  if (outcomesDiffer(outcome, claims))
    walk.changes.push(changeOf(claims, outcome, candidate.digest))
}

function recordsOf(store: Store): PolicyRecords {
  if (store.records === undefined) {
    throw new WritError('STORE_UNAVAILABLE', 'This store keeps no policy-operations records.', {
      details: { operation: 'replay' },
    })
  }
  return store.records
}

function changeOf(
  claims: ReceiptClaims,
  outcome: Pick<ReplayChange['candidate'], 'decision' | 'rule' | 'reason'>,
  digest: ReplayChange['candidate']['digest'],
): ReplayChange {
  return {
    request: claims.req,
    receipt: claims.jti,
    at: claims.iat,
    action: claims.act.name,
    enforcing: {
      decision: claims.decision,
      rule: claims.rule,
      reason: claims.reason,
      digest: claims.policy.digest,
    },
    candidate: { decision: outcome.decision, rule: outcome.rule, reason: outcome.reason, digest },
  }
}
