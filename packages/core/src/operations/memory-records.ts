/**
 * Policy-operations records in memory, for the memory store: disagreements in the order
 * recorded and retained requests by receipt id. Copies go in and come out, so a caller
 * cannot edit what the store keeps.
 */
import type {
  PolicyRecords,
  RecordRange,
  RetainedRequest,
  RetentionRule,
  ShadowDisagreement,
} from './records.js'
import { compileRetention } from './retention.js'

/** True when `at` lies inside `range` (both ends inclusive). */
export function inRange(at: number, range: RecordRange = {}): boolean {
  return (
    (range.since === undefined || at >= range.since) &&
    (range.until === undefined || at <= range.until)
  )
}

/** Records kept in this process; `ensureOpen` throws once the store is closed. */
export function createMemoryRecords(
  retention: readonly RetentionRule[] | undefined,
  ensureOpen: () => void,
): PolicyRecords {
  const disagreements: ShadowDisagreement[] = []
  const retained = new Map<string, RetainedRequest>()
  return {
    retention: retention === undefined ? undefined : compileRetention(retention),
    async putDisagreement(record) {
      ensureOpen()
      disagreements.push(structuredClone(record))
    },
    async *disagreements(range) {
      ensureOpen()
      for (const record of disagreements) {
        if (inRange(record.at, range)) yield structuredClone(record)
      }
    },
    async putRetained(record) {
      ensureOpen()
      retained.set(record.receipt, structuredClone(record))
    },
    async retained(receipt) {
      ensureOpen()
      const record = retained.get(receipt)
      return record === undefined ? undefined : structuredClone(record)
    },
  }
}
