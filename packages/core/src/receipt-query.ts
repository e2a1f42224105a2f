// Filtered reads of a chain, newest first: what a store with indexes answers directly
// (Store.queryReceipts) and what the in-memory store answers with a scan.
import type { ReceiptClaims } from '@writ/verify'

/**
 * What {@link ReceiptQuery} selects: every field given must match exactly; times are
 * seconds since the epoch, both ends included.
 */
export interface ReceiptFilter {
  /** The agent (`sub`). */
  readonly agent?: string
  /** The action's name (`act.name`). */
  readonly action?: string
  /** The decision. */
  readonly decision?: 'PERMIT' | 'DENY' | 'SILENCE'
  /** The rule that decided; `null` selects receipts no rule decided. */
  readonly rule?: string | null
  /** The reason code. */
  readonly reason?: string
  /** The policy's digest (`policy.digest`). */
  readonly policy?: string
  /** Issued at or after (`iat`). */
  readonly since?: number
  /** Issued at or before (`iat`). */
  readonly until?: number
}

/** A page of a chain's receipts that pass a filter, newest first. */
export interface ReceiptQuery {
  /** The chain to read. */
  readonly chain: string
  /** What the receipts must match. */
  readonly filter: ReceiptFilter
  /** Only receipts with a smaller `seq` (the next page starts below the last one read). */
  readonly before?: number
  /** At most this many receipts. */
  readonly limit: number
}

/** Whether a receipt's claims pass `filter`. */
export function passesFilter(claims: ReceiptClaims, filter: ReceiptFilter): boolean {
  return (
    (filter.agent === undefined || claims.sub === filter.agent) &&
    (filter.action === undefined || claims.act.name === filter.action) &&
    (filter.decision === undefined || claims.decision === filter.decision) &&
    (filter.rule === undefined || (claims.rule ?? null) === filter.rule) &&
    (filter.reason === undefined || claims.reason === filter.reason) &&
    (filter.policy === undefined || claims.policy.digest === filter.policy) &&
    (filter.since === undefined || claims.iat >= filter.since) &&
    (filter.until === undefined || claims.iat <= filter.until)
  )
}

/** Answers `query` by reading a chain's receipts `[first, length)` backwards: for stores without indexes. */
export function scanReceipts<T extends { readonly claims: ReceiptClaims }>(
  first: number,
  length: number,
  at: (seq: number) => T,
  query: ReceiptQuery,
): T[] {
  const found: T[] = []
  const before = Math.min(query.before ?? length, length)
  for (let seq = before - 1; seq >= first && found.length < query.limit; seq--) {
    const stored = at(seq)
    if (passesFilter(stored.claims, query.filter)) found.push(stored)
    // Receipts are in time order within a chain: nothing older can pass `since`.
    if (query.filter.since !== undefined && stored.claims.iat < query.filter.since) break
  }
  return found
}
