/**
 * What the console shows beside the timeline: decision rates over time (with the moments
 * the policy changed and the rules whose rates moved, computed as `writ stats` does), the
 * open holds, the newest checkpoints, and one receipt with its neighbours in the chain.
 */
import { decisionRates, type LocalGate, type ShadowDisagreement, type Store } from '@writ/core'
import { parseCheckpointText, parseNote, type ReceiptClaims } from '@writ/verify'
import { newestFirst, rowOf } from './console-decisions.js'

/** Decisions the rates chart reads by default, newest first (`?window=` up to {@link RATE_WINDOW_MAX}). */
export const RATE_WINDOW = 5_000

/** The most decisions one rates answer reads. */
export const RATE_WINDOW_MAX = 50_000

/** Counts per time bucket, per decision and per rule, and the policy changes among them. */
export async function rateSeries(store: Store, chain: string, options: RateOptions) {
  const newest: ReceiptClaims[] = []
  const length = (await store.head(chain)).seq
  for await (const stored of newestFirst(store, chain, length)) {
    newest.push(stored.claims)
    if (newest.length >= options.window) break
  }
  const claims = newest.reverse()
  const first = claims[0]?.iat ?? 0
  const bucket = options.bucket ?? bucketFor((claims[claims.length - 1]?.iat ?? first) - first)
  const bucketOf = (iat: number) => first + Math.floor((iat - first) / bucket) * bucket
  const times: number[] = []
  const decisions: Record<string, number[]> = { PERMIT: [], DENY: [], SILENCE: [] }
  const rules: Record<string, number[]> = {}
  const changes: { at: number; digest: string }[] = []
  let digest: string | undefined
  for (const [index, item] of claims.entries()) {
    const at = bucketOf(item.iat)
    if (times[times.length - 1] !== at) {
      times.push(at)
      for (const series of [...Object.values(decisions), ...Object.values(rules)]) series.push(0)
    }
    const slot = times.length - 1
    const rule = item.rule ?? '(none)'
    rules[rule] ??= new Array(times.length).fill(0)
    ;(rules[rule] as number[])[slot] = ((rules[rule] as number[])[slot] ?? 0) + 1
    const series = decisions[item.decision] as number[]
    series[slot] = (series[slot] ?? 0) + 1
    if (index > 0 && item.policy.digest !== digest)
      changes.push({ at: item.iat, digest: item.policy.digest })
    digest = item.policy.digest
  }
  return {
    chain,
    bucket,
    times,
    decisions,
    rules,
    changes,
    ...drift(claims, options),
  }
}

const BUCKETS = [1, 5, 10, 30, 60, 300, 900, 3600, 6 * 3600, 86_400]

/** A bucket width (seconds) that cuts `span` into at most about 60 buckets. */
export function bucketFor(span: number): number {
  return BUCKETS.find((width) => span / width <= 60) ?? 86_400
}

/** Options of {@link rateSeries}. */
export interface RateOptions {
  readonly window: number
  /** Bucket width in seconds; by default one that gives at most about 60 buckets. */
  readonly bucket?: number
  readonly threshold: number
  readonly around?: string
}

/**
 * `writ stats`' computation on the same decisions: the PERMIT rate per rule before and
 * after the newest policy change (or `around`), and the DENY rate the same way (the
 * decisions are handed over with PERMIT and DENY swapped, so the PERMIT rate it computes
 * is the DENY rate).
 */
function drift(claims: readonly ReceiptClaims[], options: RateOptions) {
  const settings = {
    threshold: options.threshold,
    ...(options.around === undefined ? {} : { around: options.around }),
  }
  const permit = decisionRates(claims, settings)
  const swapped = claims.map((item) =>
    item.decision === 'SILENCE'
      ? item
      : { ...item, decision: item.decision === 'PERMIT' ? ('DENY' as const) : ('PERMIT' as const) },
  )
  const deny = decisionRates(swapped, settings)
  return {
    drift: { around: permit.around, since: permit.since, permit: permit.rows, deny: deny.rows },
  }
}

/** The open holds, their approvers and the time they have left. */
export async function openHolds(gate: LocalGate, now: number) {
  const holds = await gate.holds.list({ limit: 200 })
  const approvers = gate.approvers
  return holds
    .filter((hold) => hold.state === 'pending' && hold.exp > now)
    .map((hold) => ({
      id: hold.id,
      agent: hold.agent,
      action: hold.action,
      rule: hold.rule,
      group: hold.group,
      quorum: hold.quorum,
      approvals: hold.approvals.map((item) => ({
        by: item.by,
        name: item.name,
        verdict: item.verdict,
      })),
      approvers: (approvers?.members(hold.group) ?? []).map(
        (id) => approvers?.approver(id)?.name ?? id,
      ),
      exp: hold.exp,
      secondsLeft: hold.exp - now,
    }))
}

/**
 * The chains of the store, for the evidence panel, read in the background at most once a
 * minute: listing them reads every receipt of a SQLite store, which a page must not wait
 * for. Until the first read ends, the authority's own chain stands alone.
 */
export function chainList(store: Store, ownChain: string): () => readonly string[] {
  let known: readonly string[] = [ownChain]
  let readAt = Number.NEGATIVE_INFINITY
  let reading = false
  return () => {
    if (!reading && Date.now() - readAt > 60_000) {
      reading = true
      store
        .chains()
        .then((chains) => {
          known = [...new Set([ownChain, ...chains])].sort()
        })
        .catch(() => undefined)
        .finally(() => {
          reading = false
          readAt = Date.now()
        })
    }
    return known
  }
}

/** The newest checkpoint note of each chain, its cosigners and the assurance it gives. */
export async function evidence(store: Store, chains: readonly string[]) {
  return Promise.all(
    chains.map(async (chain) => {
      const length = (await store.head(chain)).seq
      const stored = await store.latestCheckpointNote(chain)
      if (stored === undefined)
        return { chain, length, assurance: 'signed', checkpoint: null, cosigners: [] }
      const note = parseNote(stored.note)
      const head = parseCheckpointText(note.text)
      const [, ...cosigners] = note.signatures.map((signature) => signature.name)
      return {
        chain,
        length,
        assurance: cosigners.length > 0 ? 'witnessed' : 'checkpointed',
        checkpoint: { size: head.size, origin: head.origin, note: stored.note },
        cosigners,
      }
    }),
  )
}

/** One receipt, its neighbours in the chain and the receipts of the same request. */
export async function receiptDetail(store: Store, jti: string) {
  const stored = await store.receipt(jti)
  if (stored === undefined) return undefined
  const { chain } = stored.claims
  const neighbours: Record<string, unknown> = {}
  for await (const item of store.receipts(chain.id, {
    fromSeq: Math.max(0, chain.seq - 1),
    limit: 3,
  })) {
    if (item.claims.chain.seq === chain.seq - 1) neighbours['previous'] = rowOf(item)
    if (item.claims.chain.seq === chain.seq + 1) neighbours['next'] = rowOf(item)
  }
  const related = (await store.receiptsByRequest(stored.claims.req))
    .filter((item) => item.claims.jti !== jti)
    .map(rowOf)
  const length = (await store.head(chain.id)).seq
  return { receipt: rowOf(stored), length, ...neighbours, related }
}

/** Disagreements the shadow panel reads at most, and shows. */
const SHADOW_READ = 10_000
const SHADOW_SHOWN = 20

/**
 * Shadow-policy disagreements of the last `days` days: how many, and the newest few.
 * `available: false` when the store keeps no policy-operations records.
 */
export async function shadowSummary(store: Store, now: number, days = 7) {
  if (store.records === undefined) return { available: false, total: 0, newest: [] }
  const newest: ShadowDisagreement[] = []
  let total = 0
  for await (const record of store.records.disagreements({ since: now - days * 86_400 })) {
    total++
    newest.push(record)
    if (newest.length > SHADOW_SHOWN) newest.shift()
    if (total >= SHADOW_READ) break
  }
  return { available: true, days, total, capped: total >= SHADOW_READ, newest: newest.reverse() }
}
