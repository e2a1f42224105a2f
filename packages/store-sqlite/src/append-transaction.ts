import type {
  AppendContext,
  AppendOptions,
  ChainPosition,
  IssuedReceipt,
  LimitCheck,
  StoredReceipt,
} from '@writ/core'
import { type Digest, tokenDigest, WritError } from '@writ/verify'
import type { Database } from 'better-sqlite3'
import type { Statements } from './statements.js'
import { toStoreError } from './store-error.js'

/** One call of `Store.append`, waiting for the transaction that records it. */
export interface PendingAppend {
  readonly chainId: string
  readonly options: AppendOptions
  readonly issue: (context: AppendContext) => IssuedReceipt
  readonly resolve: (receipt: StoredReceipt) => void
  readonly reject: (error: unknown) => void
}

type Outcome =
  | { readonly ok: true; readonly receipt: StoredReceipt }
  | { readonly ok: false; readonly error: unknown }

/**
 * Records `batch` in ONE `BEGIN IMMEDIATE` transaction and settles each pending
 * append only after that transaction has committed (or failed). Each item gets its
 * own position, in order, and its own `issue()` call inside the transaction. In a
 * batch of several, each item runs in a savepoint, so an item whose `issue()` throws
 * is undone alone and the others are still recorded. If the transaction itself is
 * lost (commit fails, the disk fills, SQLite rolls everything back), every item of
 * the batch is refused: nothing is acknowledged that was not committed.
 */
export function runAppendBatch(
  database: Database,
  statements: Statements,
  batch: readonly PendingAppend[],
): { readonly committed: number } {
  const fail = (error: unknown): { committed: number } => {
    for (const item of batch) item.reject(error)
    return { committed: 0 }
  }
  try {
    statements.begin.run()
  } catch (error) {
    return fail(toStoreError(error, 'begin'))
  }
  const useSavepoints = batch.length > 1
  const outcomes: Outcome[] = []
  for (const item of batch) {
    try {
      if (useSavepoints) statements.savepoint.run()
      const receipt = appendOne(statements, item)
      if (useSavepoints) statements.release.run()
      outcomes.push({ ok: true, receipt })
    } catch (error) {
      const mapped = toStoreError(error, 'append')
      if (!useSavepoints || !database.inTransaction) {
        rollbackQuietly(database, statements)
        // The one item, or everything (SQLite dropped the transaction): refuse all.
        for (const [index, other] of batch.entries()) {
          const outcome = outcomes[index]
          other.reject(outcome !== undefined && !outcome.ok ? outcome.error : mapped)
        }
        return { committed: 0 }
      }
      try {
        statements.rollbackTo.run()
        statements.release.run()
      } catch (undoError) {
        rollbackQuietly(database, statements)
        return fail(toStoreError(undoError, 'rollback'))
      }
      outcomes.push({ ok: false, error: mapped })
    }
  }
  try {
    statements.commit.run()
  } catch (error) {
    rollbackQuietly(database, statements)
    const mapped = toStoreError(error, 'commit')
    for (const [index, item] of batch.entries()) {
      const outcome = outcomes[index]
      item.reject(outcome !== undefined && !outcome.ok ? outcome.error : mapped)
    }
    return { committed: 0 }
  }
  // Committed: only now does any caller learn of its receipt.
  let committed = 0
  for (const [index, item] of batch.entries()) {
    const outcome = outcomes[index] as Outcome
    if (outcome.ok) {
      committed++
      item.resolve(outcome.receipt)
    } else {
      item.reject(outcome.error)
    }
  }
  return { committed }
}

function rollbackQuietly(database: Database, statements: Statements): void {
  if (!database.inTransaction) return
  try {
    statements.rollback.run()
  } catch {
    // The connection keeps the transaction open only if ROLLBACK itself failed;
    // the next BEGIN then fails and is reported, so nothing is acknowledged.
  }
}

function appendOne(statements: Statements, item: PendingAppend): StoredReceipt {
  const { chainId, options } = item
  const now = options.now
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    throw invalidInput('`now` must be a finite number of seconds', { now })
  }
  const limits = options.limits ?? []
  for (const limit of limits) checkLimitShape(limit)

  const last = statements.head.get(chainId)
  const position: ChainPosition =
    last === undefined
      ? { chainId, seq: 0, prev: null }
      : { chainId, seq: last.seq + 1, prev: last.digest as Digest }

  let exceeded: LimitCheck | null = null
  for (const limit of limits) {
    const total = (
      statements.windowTotal.get(limit.key, now - limit.windowSeconds) as { total: number }
    ).total
    if (total + limit.amount > limit.max) {
      exceeded = limit
      break
    }
  }

  const issued = item.issue({ position, exceeded })
  checkIssued(issued, position, exceeded)
  const { claims, token } = issued

  statements.insertReceipt.run(
    chainId,
    position.seq,
    claims.jti,
    claims.req,
    claims.decision,
    claims.iat,
    tokenDigest(token),
    position.prev,
    token,
    JSON.stringify(claims),
  )
  if (issued.reserve) {
    for (const limit of limits) {
      statements.insertReservation.run(limit.key, now, limit.amount, limit.id, claims.jti)
    }
  }
  return { token, claims }
}

function checkLimitShape(limit: LimitCheck): void {
  const valid =
    typeof limit === 'object' &&
    limit !== null &&
    typeof limit.id === 'string' &&
    typeof limit.key === 'string' &&
    Number.isFinite(limit.windowSeconds) &&
    limit.windowSeconds > 0 &&
    Number.isFinite(limit.max) &&
    Number.isFinite(limit.amount) &&
    limit.amount >= 0
  // A NaN amount or window would make every comparison false, and so never exceed:
  // that is an open door, so such a limit is refused outright.
  if (!valid) throw invalidInput('A limit check is malformed', { limit: limit?.id })
}

function checkIssued(
  issued: IssuedReceipt,
  position: ChainPosition,
  exceeded: LimitCheck | null,
): void {
  if (
    typeof issued !== 'object' ||
    issued === null ||
    typeof issued.token !== 'string' ||
    issued.token.length === 0 ||
    typeof issued.claims !== 'object' ||
    issued.claims === null ||
    typeof issued.claims.jti !== 'string' ||
    typeof issued.claims.req !== 'string' ||
    typeof issued.reserve !== 'boolean'
  ) {
    throw invalidInput('The issuer returned a malformed receipt', {})
  }
  const chain = issued.claims.chain
  if (
    typeof chain !== 'object' ||
    chain === null ||
    chain.id !== position.chainId ||
    chain.seq !== position.seq ||
    chain.prev !== position.prev
  ) {
    throw new WritError('STORE_CONFLICT', 'The receipt does not take the position it was given', {
      details: {
        operation: 'append',
        reason: 'position-mismatch',
        chainId: position.chainId,
        seq: position.seq,
      },
    })
  }
  if (exceeded !== null && (issued.claims.decision === 'PERMIT' || issued.reserve)) {
    // The store, not only the issuer, keeps the limit: a PERMIT or a reservation
    // past it is not recorded.
    throw new WritError(
      'STORE_CONFLICT',
      'A PERMIT or reservation was issued past an exceeded limit',
      {
        details: { operation: 'append', reason: 'limit-exceeded', limit: exceeded.id },
      },
    )
  }
}

function invalidInput(message: string, details: Record<string, unknown>): WritError {
  return new WritError('GATE_ERROR', message, { details: { operation: 'append', ...details } })
}
