/**
 * The console's decision timeline: receipts newest first, filtered on the server, paged by
 * a `seq` cursor. A store with `queryReceipts` answers from its indexes; any other is read
 * through `receipts`, walking a chain backwards in windows, stopping after a scan budget so
 * a filter that matches nothing answers quickly with a cursor to continue from.
 */
import type { ReceiptFilter, Store, StoredReceipt } from '@writ/core'
import type { ReceiptClaims } from '@writ/verify'
import { WritError } from '@writ/verify'

/** What the timeline may be filtered by (all exact, times in seconds since the epoch). */
export interface DecisionFilter {
  readonly agent?: string
  readonly action?: string
  readonly decision?: 'PERMIT' | 'DENY' | 'SILENCE'
  readonly rule?: string
  readonly reason?: string
  readonly policy?: string
  readonly since?: number
  readonly until?: number
}

/** One row of the timeline. */
export interface DecisionRow {
  readonly chain: string
  readonly seq: number
  readonly jti: string
  readonly req: string
  readonly iat: number
  readonly agent: string
  readonly action: string
  readonly decision: string
  readonly rule: string | null
  readonly reason: string
  readonly policy: string
  readonly token: string
}

/** A page of the timeline. */
export interface DecisionPage {
  readonly chain: string
  readonly rows: readonly DecisionRow[]
  /** Pass as `before` for the next (older) page; `null` at the start of the chain. */
  readonly next: number | null
  /** Receipts read to answer. */
  readonly scanned: number
}

const WINDOW = 500
/** The most receipts one page reads before answering with what it found. */
export const SCAN_BUDGET = 50_000

/** Parses the query string of `GET /console/api/decisions`. */
export function parseDecisionQuery(query: Record<string, string | undefined>) {
  const text = (name: string) => {
    const value = query[name]
    if (value === undefined || value === '') return undefined
    if (value.length > 512) throw new WritError('INPUT_SYNTAX', `${name} is too long.`)
    return value
  }
  const integer = (name: string) => {
    const value = text(name)
    if (value === undefined) return undefined
    if (!/^[0-9]{1,15}$/.test(value))
      throw new WritError('INPUT_SYNTAX', `${name} is not a number.`)
    return Number(value)
  }
  const decision = text('decision')
  if (decision !== undefined && !['PERMIT', 'DENY', 'SILENCE'].includes(decision))
    throw new WritError('INPUT_SYNTAX', 'decision is PERMIT, DENY or SILENCE.')
  const filter: DecisionFilter = Object.fromEntries(
    Object.entries({
      agent: text('agent'),
      action: text('action'),
      decision,
      rule: text('rule'),
      reason: text('reason'),
      policy: text('policy'),
      since: integer('since'),
      until: integer('until'),
    }).filter(([, value]) => value !== undefined),
  )
  const limit = Math.min(integer('limit') ?? 50, 200)
  return { filter, chain: text('chain'), before: integer('before'), limit }
}

/** Whether a receipt's claims pass `filter`. */
export function matches(claims: ReceiptClaims, filter: DecisionFilter): boolean {
  return (
    (filter.agent === undefined || claims.sub === filter.agent) &&
    (filter.action === undefined || claims.act.name === filter.action) &&
    (filter.decision === undefined || claims.decision === filter.decision) &&
    (filter.rule === undefined || (claims.rule ?? '(none)') === filter.rule) &&
    (filter.reason === undefined || claims.reason === filter.reason) &&
    (filter.policy === undefined || claims.policy.digest === filter.policy) &&
    (filter.since === undefined || claims.iat >= filter.since) &&
    (filter.until === undefined || claims.iat <= filter.until)
  )
}

/** A timeline row of a stored receipt. */
export function rowOf(stored: StoredReceipt): DecisionRow {
  const { claims } = stored
  return {
    chain: claims.chain.id,
    seq: claims.chain.seq,
    jti: claims.jti,
    req: claims.req,
    iat: claims.iat,
    agent: claims.sub,
    action: claims.act.name,
    decision: claims.decision,
    rule: claims.rule ?? null,
    reason: claims.reason,
    policy: claims.policy.digest,
    token: stored.token,
  }
}

/** Walks `chain` backwards from `before` (exclusive), a window at a time. */
export async function* newestFirst(
  store: Store,
  chain: string,
  before: number,
): AsyncGenerator<StoredReceipt> {
  let end = before
  while (end > 0) {
    const start = Math.max(0, end - WINDOW)
    const window: StoredReceipt[] = []
    for await (const stored of store.receipts(chain, { fromSeq: start, limit: end - start }))
      window.push(stored)
    for (let index = window.length - 1; index >= 0; index--) yield window[index] as StoredReceipt
    end = start
  }
}

/** The console's filter as a store query's: the rule `(none)` is a receipt without one. */
function storeFilter(filter: DecisionFilter): ReceiptFilter {
  const { rule, ...rest } = filter
  return rule === undefined ? rest : { ...rest, rule: rule === '(none)' ? null : rule }
}

/** One page of the timeline of `chain` (the authority's own chain by default). */
export async function decisionPage(
  store: Store,
  options: ReturnType<typeof parseDecisionQuery>,
  ownChain: string,
): Promise<DecisionPage> {
  const chain = options.chain ?? ownChain
  const length = (await store.head(chain)).seq
  const before = Math.min(options.before ?? length, length)
  if (store.queryReceipts !== undefined) {
    // The store answers from its indexes: a full page means there may be more below it.
    const found = await store.queryReceipts({
      chain,
      filter: storeFilter(options.filter),
      before,
      limit: options.limit,
    })
    const last = found[found.length - 1]
    const next = found.length === options.limit && last !== undefined ? last.claims.chain.seq : 0
    return { chain, rows: found.map(rowOf), next: next > 0 ? next : null, scanned: found.length }
  }
  const rows: DecisionRow[] = []
  let scanned = 0
  let lowest = before
  for await (const stored of newestFirst(store, chain, before)) {
    scanned++
    lowest = stored.claims.chain.seq
    if (matches(stored.claims, options.filter)) rows.push(rowOf(stored))
    if (rows.length >= options.limit || scanned >= SCAN_BUDGET) break
    // Receipts are in time order within a chain: nothing older can match `since`.
    if (options.filter.since !== undefined && stored.claims.iat < options.filter.since) {
      lowest = 0
      break
    }
  }
  return { chain, rows, next: lowest > 0 ? lowest : null, scanned }
}
