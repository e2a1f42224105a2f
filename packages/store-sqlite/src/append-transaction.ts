import type {
  AppendContext,
  ChainPosition,
  IssuedReceipt,
  LimitCheck,
  StoredReceipt,
} from '@writ/core'
import { type Digest, tokenDigest, WritError } from '@writ/verify'
import type { Database } from './driver.js'
import { checkHold, holdStateFor, writeHold } from './hold-statements.js'
import type { PendingAppend } from './pending-append.js'
import { checkSession, writeSession } from './session-statements.js'
import type { Statements } from './statements.js'
import { toStoreError } from './store-error.js'
import { writeTreeLeaf } from './tree-statements.js'

export type { PendingAppend }

/** An item ready to be written: its position, what was issued for it, and its digest. */
interface Prepared {
  readonly context: AppendContext
  readonly issued: IssuedReceipt
  readonly digest: Digest
  readonly limits: readonly LimitCheck[]
  readonly now: number
}

/** Where an item of the batch stands. */
type Outcome =
  | { readonly ok: true; readonly receipt: StoredReceipt }
  | { readonly ok: false; readonly error: unknown; readonly beforeWrite: boolean }

/** The whole transaction was lost (SQLite rolled it back, or BEGIN/undo failed). */
class TransactionLost {
  constructor(readonly error: unknown) {}
}

/**
 * Records `batch` in ONE `BEGIN IMMEDIATE` transaction and settles each pending
 * append only after that transaction has committed (or failed). Each item gets its
 * own position, in order, and its own `issue()` call inside the transaction.
 *
 * The batch first runs optimistically, without savepoints: the chain head is read
 * once per chain and carried in memory, and an item that fails before writing
 * anything (bad input, `issue()` throws, a receipt that does not fit its position
 * or limits) is simply left out: it wrote nothing, the next item takes its
 * position. Only if a write itself fails (an insert refused half-way through an
 * item) is the transaction rolled back and the batch run again with one savepoint
 * per item, so the failing item is undone alone and the others are still recorded;
 * receipts issued in the first run are reused when their position and limit outcome
 * are unchanged. If the transaction itself is lost (commit fails, the disk fills,
 * SQLite rolls everything back), every item of the batch is refused: nothing is
 * acknowledged that was not committed.
 */
export function runAppendBatch(
  database: Database,
  statements: Statements,
  batch: readonly PendingAppend[],
): { readonly committed: number } {
  const outcomes: Outcome[] = new Array(batch.length)
  const issuedBefore: (Prepared | undefined)[] = new Array(batch.length)
  try {
    begin(statements)
    const failedWrite = runOptimistic(database, statements, batch, outcomes, issuedBefore)
    if (failedWrite) {
      rollbackQuietly(database, statements)
      begin(statements)
      runWithSavepoints(database, statements, batch, outcomes, issuedBefore)
    }
  } catch (error) {
    if (!(error instanceof TransactionLost)) throw error
    rollbackQuietly(database, statements)
    return refuseAll(batch, outcomes, error.error)
  }
  try {
    statements.commit.run()
  } catch (error) {
    rollbackQuietly(database, statements)
    return refuseAll(batch, outcomes, toStoreError(error, 'commit'))
  }
  // Committed: only now does any caller learn of its receipt.
  let committed = 0
  for (let index = 0; index < batch.length; index++) {
    const item = batch[index] as PendingAppend
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

function begin(statements: Statements): void {
  try {
    statements.begin.run()
  } catch (error) {
    throw new TransactionLost(toStoreError(error, 'begin'))
  }
}

/**
 * The first run: no savepoints. Returns true when an item's write failed (the
 * transaction then holds a partial item and must be rolled back and run again).
 */
function runOptimistic(
  database: Database,
  statements: Statements,
  batch: readonly PendingAppend[],
  outcomes: Outcome[],
  issuedBefore: (Prepared | undefined)[],
): boolean {
  const heads = new Map<string, ChainPosition>()
  for (let index = 0; index < batch.length; index++) {
    const item = batch[index] as PendingAppend
    let prepared: Prepared
    try {
      prepared = prepareOne(statements, heads, item, undefined)
    } catch (error) {
      // Nothing of this item was written: it is left out, the next takes its place.
      if (!database.inTransaction) throw new TransactionLost(toStoreError(error, 'append'))
      outcomes[index] = { ok: false, error: toStoreError(error, 'append'), beforeWrite: true }
      continue
    }
    issuedBefore[index] = prepared
    try {
      writeOne(statements, item, prepared)
    } catch (error) {
      const mapped = toStoreError(error, 'append')
      // Alone in its batch (or the transaction is gone): nothing else to save.
      if (batch.length === 1 || !database.inTransaction) throw new TransactionLost(mapped)
      return true
    }
    heads.set(item.chainId, nextPosition(prepared))
    outcomes[index] = { ok: true, receipt: storedReceipt(prepared) }
  }
  return false
}

/** The second run, after a failed write: one savepoint per item. */
function runWithSavepoints(
  database: Database,
  statements: Statements,
  batch: readonly PendingAppend[],
  outcomes: Outcome[],
  issuedBefore: readonly (Prepared | undefined)[],
): void {
  const heads = new Map<string, ChainPosition>()
  for (let index = 0; index < batch.length; index++) {
    const item = batch[index] as PendingAppend
    const earlier = outcomes[index]
    // An item that failed before writing anything fails the same way again: it keeps
    // its refusal and its issuer is not called a second time.
    if (earlier !== undefined && !earlier.ok && earlier.beforeWrite) continue
    try {
      statements.savepoint.run()
    } catch (error) {
      throw new TransactionLost(toStoreError(error, 'append'))
    }
    try {
      const prepared = prepareOne(statements, heads, item, issuedBefore[index])
      writeOne(statements, item, prepared)
      statements.release.run()
      heads.set(item.chainId, nextPosition(prepared))
      outcomes[index] = { ok: true, receipt: storedReceipt(prepared) }
    } catch (error) {
      const mapped = toStoreError(error, 'append')
      if (!database.inTransaction) throw new TransactionLost(mapped)
      try {
        statements.rollbackTo.run()
        statements.release.run()
      } catch (undoError) {
        throw new TransactionLost(toStoreError(undoError, 'rollback'))
      }
      outcomes[index] = { ok: false, error: mapped, beforeWrite: false }
    }
  }
}

function refuseAll(
  batch: readonly PendingAppend[],
  outcomes: readonly (Outcome | undefined)[],
  error: unknown,
): { committed: number } {
  for (let index = 0; index < batch.length; index++) {
    const outcome = outcomes[index]
    // An item refused on its own keeps its own reason; every other is refused with the batch.
    ;(batch[index] as PendingAppend).reject(
      outcome !== undefined && !outcome.ok ? outcome.error : error,
    )
  }
  return { committed: 0 }
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

function storedReceipt(prepared: Prepared): StoredReceipt {
  return { token: prepared.issued.token, claims: prepared.issued.claims }
}

function nextPosition(prepared: Prepared): ChainPosition {
  const position = prepared.context.position
  return { chainId: position.chainId, seq: position.seq + 1, prev: prepared.digest }
}

/**
 * Everything of one item short of writing it: checks its input, finds its position
 * (from `heads`, else the file), sums its limits, issues (or reuses `earlier` when it
 * was issued for the same position and limit outcome) and checks the receipt.
 * Writes nothing.
 */
function prepareOne(
  statements: Statements,
  heads: Map<string, ChainPosition>,
  item: PendingAppend,
  earlier: Prepared | undefined,
): Prepared {
  const { chainId, options } = item
  const now = options.now
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    throw invalidInput('`now` must be a finite number of seconds', { now })
  }
  const limits = options.limits ?? []
  for (const limit of limits) checkLimitShape(limit)

  let position = heads.get(chainId)
  if (position === undefined) {
    const last = statements.head.get(chainId)
    position =
      last === undefined
        ? { chainId, seq: 0, prev: null }
        : { chainId, seq: last.seq + 1, prev: last.digest as Digest }
  }

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

  checkSession(statements.sessions, options)
  const hold = holdStateFor(statements.holds, options)
  if (
    earlier !== undefined &&
    earlier.context.exceeded === exceeded &&
    earlier.context.hold === hold &&
    earlier.context.position.seq === position.seq &&
    earlier.context.position.prev === position.prev
  ) {
    return earlier
  }
  const context: AppendContext =
    hold === undefined ? { position, exceeded } : { position, exceeded, hold }
  const issued = item.issue(context)
  checkIssued(issued, position, exceeded)
  checkHold(statements.holds, options, issued)
  return { context, issued, digest: tokenDigest(issued.token), limits, now }
}

/** Inserts the receipt and, when asked, its reservations. */
function writeOne(statements: Statements, item: PendingAppend, prepared: Prepared): void {
  const { issued, context, digest, limits, now } = prepared
  const { claims, token } = issued
  statements.insertReceipt.run(
    item.chainId,
    context.position.seq,
    claims.jti,
    claims.req,
    claims.decision,
    claims.iat,
    digest,
    context.position.prev,
    token,
    JSON.stringify(claims),
  )
  writeTreeLeaf(statements.tree, item.chainId, context.position.seq, token)
  writeHold(statements.holds, item.options, issued)
  writeSession(statements.sessions, item.options, claims)
  if (issued.reserve) {
    for (const limit of limits) {
      statements.insertReservation.run(limit.key, now, limit.amount, limit.id, claims.jti)
    }
  }
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
