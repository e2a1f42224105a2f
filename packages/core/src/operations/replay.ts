/**
 * Replay: the recorded requests of a store decided again by a candidate policy, each at
 * its original time, in the order they were decided, the candidate's limits simulated
 * in that order. Only retained copies that match their receipt are used.
 */
import { type ReceiptClaims, WritError } from '@writ/verify'
import type { NormalizedRequest } from '../decide/normalize-request.js'
import { compileGlob } from '../policy/action-pattern.js'
import type { CompiledPolicy } from '../policy/index.js'
import type { Store } from '../types.js'
import { createLimitSimulator } from './limit-simulator.js'
import type { PolicyRecords, RetainedRequest, ShadowDisagreement } from './records.js'
import { checkRetained } from './retention.js'
import { candidateOutcome, outcomesDiffer } from './shadow.js'
import { type DecisionTransition, summarizeTransitions } from './transitions.js'

/** Which recorded decisions to replay. */
export interface ReplayOptions {
  /** Decisions at or after this time (seconds since the epoch). */
  readonly since?: number
  /** Decisions at or before this time. */
  readonly until?: number
  /** Only actions matching this name or glob. */
  readonly action?: string
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

/**
 * Replays the recorded decisions of `store` with `candidate`.
 *
 * @throws WritError `STORE_UNAVAILABLE` when the store keeps no policy-operations records.
 */
export async function replayDecisions(
  store: Store,
  candidate: CompiledPolicy,
  options: ReplayOptions = {},
): Promise<ReplayReport> {
  const records = recordsOf(store)
  const simulator = createLimitSimulator()
  const tally = { replayed: 0, redacted: 0, inputInvalid: 0, notRetained: 0 }
  const mismatched: string[] = []
  const changes: ReplayChange[] = []
  const decisions = await recordedDecisions(store, options)
  for (const claims of decisions) {
    const retained = await records.retained(claims.jti)
    if (retained === undefined) {
      if (claims.reason === 'INPUT_INVALID') tally.inputInvalid++
      else tally.notRetained++
      continue
    }
    const status = checkRetained(retained, claims)
    if (status === 'mismatch') {
      mismatched.push(claims.jti)
      continue
    }
    if (status === 'redacted') tally.redacted++
    tally.replayed++
    const request = requestOf(claims, retained)
    const outcome = candidateOutcome(candidate, request, claims.iat, simulator.settle)
    if (outcomesDiffer(outcome, claims)) changes.push(changeOf(claims, outcome, candidate.digest))
  }
  return {
    candidate: { id: candidate.id, digest: candidate.digest },
    considered: decisions.length,
    ...tally,
    changed: changes.length,
    mismatched,
    transitions: summarizeTransitions(changes),
    changes,
  }
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
