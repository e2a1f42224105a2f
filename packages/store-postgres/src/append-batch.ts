/**
 * Group commit on PostgreSQL: the appends waiting for one chain are recorded in ONE
 * transaction, and each caller learns of its receipt only once that transaction has
 * committed (with `synchronous_commit` on, once its WAL is on disk).
 *
 * The transaction, in a fixed number of round trips whatever the batch's size:
 * lock the chain's head row → take the advisory lock of every limit key the batch
 * checks (in key order, so instances never deadlock) → sum each window once → for
 * each item in call order: its hold and session (if any), the issuer's signature, the
 * checks → one statement that writes every receipt, tree node and reservation and
 * moves the head → COMMIT.
 *
 * Windows stay exact: each item's total is the stored sum of its window (read under
 * the key's lock, after every earlier transaction on that key committed) plus the
 * reservations made by the items before it in the batch that fall in its window.
 *
 * An item refused before anything of it is written (bad input, `issue()` throws, a
 * session that moved, a receipt that does not fit its position or limits) is left out
 * and the next item takes its position. If a statement fails, PostgreSQL aborts the
 * whole transaction: it is rolled back and each item is then appended alone, in its own
 * transaction, so one bad item costs the others nothing but time. If COMMIT fails,
 * nothing of the batch is acknowledged.
 */
import {
  type AppendContext,
  type ChainPosition,
  type IssuedReceipt,
  type LimitCheck,
  type StoredReceipt,
  sessionMovedError,
} from '@writ/core'
import {
  type Digest,
  leafHash,
  leftSiblingsOf,
  type Subtree,
  subtreesAfterAppend,
  tokenDigest,
  WritError,
} from '@writ/verify'
import type pg from 'pg'
import type { PendingAppend } from './chain-queue.js'
import type { Connection } from './connection.js'
import { toStoreError } from './errors.js'
import { lockHoldFor, writeHold } from './holds.js'
import { readTreeNodes } from './tree.js'

type Table = Connection['table']

/** An item the batch will write. */
interface Prepared {
  readonly item: PendingAppend
  readonly position: ChainPosition
  readonly issued: IssuedReceipt
  readonly digest: Digest
  readonly reserved: readonly LimitCheck[]
  /** The session entry this item writes, when it has a session. */
  readonly entry?: SessionEntry
}

/** One row of `session_entries`, and how far back its session keeps entries. */
interface SessionEntry {
  readonly session: string
  readonly version: number
  readonly tags: string
  readonly before: number
}

type Outcome =
  | { readonly ok: true; readonly receipt: StoredReceipt }
  | { readonly ok: false; readonly error: unknown }

/**
 * The right edge of a chain's tree after a batch this instance committed: the hashes of
 * the complete subtrees that make up its first `seq` leaves. Valid for the next batch only
 * when the chain's head is still (`seq`, `prev`): nobody else appended in between.
 */
export interface Frontier {
  readonly seq: number
  readonly prev: Digest | null
  readonly nodes: ReadonlyMap<string, Uint8Array>
}

/** A statement of the batch failed: PostgreSQL has aborted the transaction. */
class BatchAborted {
  constructor(readonly error: unknown) {}
}

/**
 * Records `batch` (appends to `chainId`, in call order) and settles every item: in one
 * transaction, or, when a statement of it fails, each alone through `single`.
 */
export async function writeBatch(
  connection: Connection,
  chainId: string,
  batch: readonly PendingAppend[],
  single: (item: PendingAppend) => Promise<StoredReceipt>,
  frontiers: Map<string, Frontier>,
): Promise<void> {
  let outcomes: Outcome[]
  const cached = frontiers.get(chainId)
  frontiers.delete(chainId)
  try {
    const result = await connection.withClient('append', (client) =>
      runInTransaction(client, connection.table, { chainId, batch, cached }),
    )
    outcomes = result.outcomes
    if (result.frontier !== undefined) frontiers.set(chainId, result.frontier)
  } catch (error) {
    if (!(error instanceof BatchAborted) || batch.length === 1) {
      const refusal = toStoreError(error instanceof BatchAborted ? error.error : error, 'append')
      for (const item of batch) item.reject(refusal)
      return
    }
    for (const item of batch) await single(item).then(item.resolve, item.reject)
    return
  }
  // Committed: only now does any caller learn of its receipt.
  for (const [index, item] of batch.entries()) {
    const outcome = outcomes[index] as Outcome
    if (outcome.ok) item.resolve(outcome.receipt)
    else item.reject(outcome.error)
  }
}

/** One batch of one chain, and the frontier its last batch left, if any. */
interface BatchRequest {
  readonly chainId: string
  readonly batch: readonly PendingAppend[]
  readonly cached: Frontier | undefined
}

interface BatchResult {
  readonly outcomes: Outcome[]
  readonly frontier: Frontier | undefined
}

async function runInTransaction(
  client: pg.PoolClient,
  table: Table,
  request: BatchRequest,
): Promise<BatchResult> {
  let aborted = false
  // Every statement goes through here, so a failed one is told apart from an item's own refusal.
  const guarded = {
    query: (text: string, values?: unknown[]) =>
      client.query(text, values).catch((error: unknown) => {
        aborted = true
        throw error
      }),
  } as unknown as pg.PoolClient
  await client.query('BEGIN')
  try {
    const result = await runBatch(guarded, table, request, () => aborted)
    await client.query('COMMIT')
    return result
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw aborted && !(error instanceof BatchAborted) ? new BatchAborted(error) : error
  }
}

async function runBatch(
  client: pg.PoolClient,
  table: Table,
  { chainId, batch, cached }: BatchRequest,
  isAborted: () => boolean,
): Promise<BatchResult> {
  const { head, sessions } = await lockAll(client, table, chainId, batch)
  const windows = await sumWindows(client, table, batch)
  const outcomes: Outcome[] = []
  const written: Prepared[] = []
  let position = head
  for (const item of batch) {
    try {
      const prepared = await prepareOne(client, table, item, position, { windows, sessions })
      written.push(prepared)
      position = { chainId, seq: position.seq + 1, prev: prepared.digest }
      outcomes.push({
        ok: true,
        receipt: { token: prepared.issued.token, claims: prepared.issued.claims },
      })
    } catch (error) {
      if (isAborted()) throw new BatchAborted(error)
      // Nothing of this item was written: it is left out, the next takes its place.
      outcomes.push({ ok: false, error: toStoreError(error, 'append') })
    }
  }
  if (written.length === 0) return { outcomes, frontier: cached }
  const frontier = await writeAll(client, table, { head, written, cached })
  return { outcomes, frontier }
}

const byKey = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** The limit keys (valid ones, in key order) and session ids (in id order) a batch touches. */
function lockedBy(batch: readonly PendingAppend[]): { keys: string[]; sessions: string[] } {
  const keys = new Set<string>()
  const sessions = new Set<string>()
  for (const { options } of batch) {
    if (options.session !== undefined) sessions.add(options.session.id)
    if (!Number.isFinite(options.now)) continue
    for (const limit of options.limits ?? []) if (validLimit(limit)) keys.add(limit.key)
  }
  return { keys: [...keys].sort(byKey), sessions: [...sessions].sort(byKey) }
}

/**
 * Takes every lock of the batch in one statement, in the order a single append takes
 * them: the chain's head row (created if needed), the advisory lock of each limit key
 * (in key order, so instances never deadlock), then each session's row (created if
 * needed, in id order). Returns the head and the sessions' versions.
 */
async function lockAll(
  client: pg.PoolClient,
  table: Table,
  chainId: string,
  batch: readonly PendingAppend[],
): Promise<{ head: ChainPosition; sessions: Map<string, number> }> {
  const { keys, sessions: ids } = lockedBy(batch)
  const result = await client.query<{
    kind: string
    id: string | null
    n: string
    head: string | null
  }>(
    `WITH head AS (
       INSERT INTO ${table('chains')} AS c (chain_id, next_seq, head) VALUES ($1, 0, NULL)
       ON CONFLICT (chain_id) DO UPDATE SET next_seq = c.next_seq RETURNING next_seq, head
     ), limits AS (
       SELECT count(pg_advisory_xact_lock(hashtextextended('writ-limit:' || k, 0))) AS n
       FROM (SELECT k FROM unnest($2::text[]) WITH ORDINALITY AS u(k, i) ORDER BY i) AS ordered
     ), sessions AS (
       INSERT INTO ${table('sessions')} AS s (id, version)
       SELECT id, 0 FROM unnest($3::text[]) WITH ORDINALITY AS u(id, i) ORDER BY i
       ON CONFLICT (id) DO UPDATE SET version = s.version RETURNING id, version
     )
     SELECT 'head' AS kind, NULL::text AS id, next_seq AS n, head FROM head
     UNION ALL SELECT 'limits', NULL, n, NULL FROM limits
     UNION ALL SELECT 'session', id, version, NULL FROM sessions`,
    [chainId, keys, ids],
  )
  let head: ChainPosition | undefined
  const sessions = new Map<string, number>()
  for (const row of result.rows) {
    if (row.kind === 'head') head = { chainId, seq: Number(row.n), prev: row.head as Digest | null }
    else if (row.kind === 'session') sessions.set(row.id as string, Number(row.n))
  }
  if (!head) throw new WritError('STORE_UNAVAILABLE', `Chain ${chainId} vanished during append`)
  return { head, sessions }
}

/** The stored window sums of a batch, and the reservations its items made so far. */
interface Windows {
  readonly stored: Map<string, number>
  readonly added: Map<string, { at: number; amount: number }[]>
}

const windowKey = (key: string, since: number) => `${since}|${key}`

/**
 * Sums each distinct window of the batch once, in a statement of its own after the locks
 * (so its snapshot sees every transaction that held those keys before).
 */
async function sumWindows(
  client: pg.PoolClient,
  table: Table,
  batch: readonly PendingAppend[],
): Promise<Windows> {
  const windows: Windows = { stored: new Map(), added: new Map() }
  const sums = new Map<string, { key: string; since: number }>()
  for (const item of batch) {
    for (const limit of item.options.limits ?? []) {
      if (!validLimit(limit) || !Number.isFinite(item.options.now)) continue
      const since = item.options.now - limit.windowSeconds
      sums.set(windowKey(limit.key, since), { key: limit.key, since })
    }
  }
  if (sums.size === 0) return windows
  const wanted = [...sums.values()]
  const result = await client.query<{ total: number }>(
    `SELECT coalesce(sum(r.amount), 0)::float8 AS total
     FROM unnest($1::text[], $2::float8[]) WITH ORDINALITY AS w(key, since, i)
     LEFT JOIN ${table('reservations')} r ON r.key = w.key AND r.at > w.since
     GROUP BY w.i ORDER BY w.i`,
    [wanted.map((window) => window.key), wanted.map((window) => window.since)],
  )
  for (const [index, window] of wanted.entries()) {
    windows.stored.set(windowKey(window.key, window.since), Number(result.rows[index]?.total ?? 0))
  }
  return windows
}

/** The first limit (in key order) this item would pass, counting the batch's earlier reservations. */
function firstExceeded(
  windows: Windows,
  limits: readonly LimitCheck[],
  now: number,
): LimitCheck | null {
  for (const limit of limits) {
    const since = now - limit.windowSeconds
    let total = windows.stored.get(windowKey(limit.key, since)) ?? 0
    for (const added of windows.added.get(limit.key) ?? [])
      if (added.at > since) total += added.amount
    if (total + limit.amount > limit.max) return limit
  }
  return null
}

/** An item's session entry at the session's next version; refuses a session that moved past `expect`. */
function sessionEntryOf(
  versions: Map<string, number>,
  item: PendingAppend,
): SessionEntry | undefined {
  const session = item.options.session
  if (session === undefined) return undefined
  const version = versions.get(session.id) ?? 0
  if (session.expect !== undefined && version !== session.expect)
    throw sessionMovedError(session.id)
  return {
    session: session.id,
    version: version + 1,
    tags: JSON.stringify([...session.tags]),
    before: item.options.now - session.keepSeconds,
  }
}

/** Everything of one item short of writing its receipt and session entry; holds are written here. */
async function prepareOne(
  client: pg.PoolClient,
  table: Table,
  item: PendingAppend,
  position: ChainPosition,
  { windows, sessions }: { windows: Windows; sessions: Map<string, number> },
): Promise<Prepared> {
  const { options } = item
  if (typeof options.now !== 'number' || !Number.isFinite(options.now))
    throw invalidInput('`now` must be a finite number of seconds')
  const limits = sortedLimits(options.limits ?? [])
  if (!limits.every(validLimit)) throw invalidInput('A limit check is malformed')
  const exceeded = firstExceeded(windows, limits, options.now)
  const hold = await lockHoldFor(client, table, options)
  const entry = sessionEntryOf(sessions, item)
  const context: AppendContext =
    hold === undefined ? { position, exceeded } : { position, exceeded, hold }
  const issued = item.issue(context)
  checkIssued(issued, position, exceeded)
  await writeHold(client, table, options, hold, issued)
  if (entry !== undefined) sessions.set(entry.session, entry.version)
  const reserved = issued.reserve && exceeded === null ? limits : []
  for (const limit of reserved) {
    const list = windows.added.get(limit.key) ?? []
    list.push({ at: options.now, amount: limit.amount })
    windows.added.set(limit.key, list)
  }
  const digest = tokenDigest(issued.token)
  return entry === undefined
    ? { item, position, issued, digest, reserved }
    : { item, position, issued, digest, reserved, entry }
}

/**
 * Writes every receipt, tree node, reservation and session entry of the batch, moves the
 * chain's head and the sessions' versions, and drops session entries past their age, in
 * one statement. The tree's new nodes are hashed here, from the left siblings already
 * stored (read in one query) and those of the batch.
 */
async function writeAll(
  client: pg.PoolClient,
  table: Table,
  {
    head,
    written,
    cached,
  }: { head: ChainPosition; written: readonly Prepared[]; cached: Frontier | undefined },
): Promise<Frontier> {
  const known = await frontierAt(client, table, head, cached)
  const nodes = treeNodesOf(known, written)
  const last = written[written.length - 1] as Prepared
  await client.query(
    `WITH receipts AS (
       INSERT INTO ${table('receipts')} (chain_id, seq, jti, req, decision, iat, digest, prev, token, agent, action, rule, reason, policy)
       SELECT $1, * FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[])
     ), nodes AS (
       INSERT INTO ${table('tree_nodes')} (chain_id, level, idx, hash)
       SELECT $1, * FROM unnest($15::int[], $16::bigint[], $17::bytea[])
     ), reserved AS (
       INSERT INTO ${table('reservations')} (key, at, amount, limit_id, jti)
       SELECT * FROM unnest($18::text[], $19::bigint[], $20::float8[], $21::text[], $22::text[])
     ), entries AS (
       INSERT INTO ${table('session_entries')} (session, version, action, decision, rule, time, tags)
       SELECT * FROM unnest($25::text[], $26::bigint[], $27::text[], $28::text[], $29::text[], $30::bigint[], $31::text[])
     ), versions AS (
       UPDATE ${table('sessions')} AS s SET version = v.version
       FROM unnest($32::text[], $33::bigint[]) AS v(id, version) WHERE s.id = v.id
     ), pruned AS (
       DELETE FROM ${table('session_entries')} AS e
       USING unnest($34::text[], $35::float8[]) AS p(id, before)
       WHERE e.session = p.id AND e.time < p.before
     )
     UPDATE ${table('chains')} SET next_seq = $23, head = $24 WHERE chain_id = $1`,
    [
      head.chainId,
      ...columns(written.map(receiptRow), 13),
      nodes.map((node) => node.subtree.level),
      nodes.map((node) => node.subtree.index),
      nodes.map((node) => node.hash),
      ...columns(written.flatMap(reservationRows), 5),
      last.position.seq + 1,
      last.digest,
      ...sessionColumns(written),
    ],
  )
  const seq = last.position.seq + 1
  const frontier = new Map<string, Uint8Array>()
  for (const subtree of frontierSubtrees(seq)) {
    const id = `${subtree.level}/${subtree.index}`
    frontier.set(id, known.get(id) as Uint8Array)
  }
  return { seq, prev: last.digest, nodes: frontier }
}

/**
 * The values of one `receipts` row after `chain_id`, in the column order both the single
 * append and the batch write: seq, jti, req, decision, iat, digest, prev, token, agent,
 * action, rule, reason, policy.
 */
export function receiptRow({
  position,
  issued,
  digest,
}: Pick<Prepared, 'position' | 'issued' | 'digest'>): unknown[] {
  const { claims } = issued
  return [
    position.seq,
    claims.jti,
    claims.req,
    claims.decision,
    claims.iat,
    digest,
    position.prev,
    issued.token,
    claims.sub,
    claims.act.name,
    claims.rule ?? null,
    claims.reason,
    claims.policy.digest,
  ]
}

function reservationRows({ item, issued, reserved }: Prepared): unknown[][] {
  return reserved.map((limit) => [
    limit.key,
    item.options.now,
    limit.amount,
    limit.id,
    issued.claims.jti,
  ])
}

/**
 * The session entries (7 columns), each session's last version (2) and the age before
 * which its entries go (2: the latest cut-off any entry of the batch asked for).
 */
function sessionColumns(written: readonly Prepared[]): unknown[][] {
  const entries: unknown[][] = []
  const versions = new Map<string, number>()
  const cutoffs = new Map<string, number>()
  for (const { entry, issued, item } of written) {
    if (entry === undefined) continue
    const { claims } = issued
    entries.push([
      entry.session,
      entry.version,
      claims.act.name,
      claims.decision,
      claims.rule ?? null,
      item.options.now,
      entry.tags,
    ])
    versions.set(entry.session, entry.version)
    cutoffs.set(entry.session, Math.max(cutoffs.get(entry.session) ?? -Infinity, entry.before))
  }
  return [
    ...columns(entries, 7),
    [...versions.keys()],
    [...versions.values()],
    [...cutoffs.keys()],
    [...cutoffs.values()],
  ]
}

/** Rows to one array per column, for `unnest`. */
function columns(rows: readonly unknown[][], width: number): unknown[][] {
  return Array.from({ length: width }, (_, column) => rows.map((row) => row[column]))
}

/**
 * The complete subtrees that make up the first `size` leaves, one per bit of `size`. Every
 * left sibling a later leaf needs from before `size` is one of them.
 */
function frontierSubtrees(size: number): Subtree[] {
  const subtrees: Subtree[] = []
  for (let level = 0, rest = size; rest > 0; level++, rest = Math.floor(rest / 2))
    if (rest % 2 === 1) subtrees.push({ level, index: rest - 1 })
  return subtrees
}

/**
 * The frontier before this batch, by `level/index`: the one this instance kept after its
 * last batch when the head has not moved since, else read from the store in one query.
 */
async function frontierAt(
  client: pg.PoolClient,
  table: Table,
  head: ChainPosition,
  cached: Frontier | undefined,
): Promise<Map<string, Uint8Array>> {
  if (cached !== undefined && cached.seq === head.seq && cached.prev === head.prev)
    return new Map(cached.nodes)
  const subtrees = frontierSubtrees(head.seq)
  const hashes = await readTreeNodes(client, table, head.chainId, subtrees)
  const known = new Map<string, Uint8Array>()
  for (const [index, subtree] of subtrees.entries())
    known.set(`${subtree.level}/${subtree.index}`, hashes[index] as Uint8Array)
  return known
}

/** The subtrees the batch completes, with their hashes, in order; adds them to `known`. */
function treeNodesOf(
  known: Map<string, Uint8Array>,
  written: readonly Prepared[],
): { readonly subtree: Subtree; readonly hash: Uint8Array }[] {
  const nodes: { subtree: Subtree; hash: Uint8Array }[] = []
  for (const { position, issued } of written) {
    const lefts = leftSiblingsOf(position.seq).map(
      (sibling) => known.get(`${sibling.level}/${sibling.index}`) as Uint8Array,
    )
    for (const node of subtreesAfterAppend(position.seq, leafHash(issued.token), lefts)) {
      known.set(`${node.subtree.level}/${node.subtree.index}`, node.hash)
      nodes.push(node)
    }
  }
  return nodes
}

/** Limits in key order, so instances take their advisory locks in one order and never deadlock. */
export function sortedLimits(limits: readonly LimitCheck[]): LimitCheck[] {
  return [...limits].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
}

function validLimit(limit: LimitCheck): boolean {
  // A NaN amount or window would make every comparison false, and so never exceed: that
  // is an open door, so such a limit is refused outright.
  return (
    typeof limit === 'object' &&
    limit !== null &&
    typeof limit.id === 'string' &&
    typeof limit.key === 'string' &&
    Number.isFinite(limit.windowSeconds) &&
    limit.windowSeconds > 0 &&
    Number.isFinite(limit.max) &&
    Number.isFinite(limit.amount) &&
    limit.amount >= 0
  )
}

function invalidInput(message: string): WritError {
  return new WritError('GATE_ERROR', message, { details: { operation: 'append' } })
}

/**
 * The store is the last line of defence for the chain and the limits: a receipt for
 * another position, or a PERMIT past an exceeded limit, is refused `STORE_CONFLICT`.
 */
export function checkIssued(
  issued: IssuedReceipt,
  position: ChainPosition,
  exceeded: LimitCheck | null,
): void {
  const { chain } = issued.claims
  if (chain.id !== position.chainId || chain.seq !== position.seq || chain.prev !== position.prev) {
    throw new WritError(
      'STORE_CONFLICT',
      `The receipt was issued for ${chain.id}#${chain.seq}, not ${position.chainId}#${position.seq}`,
    )
  }
  if (exceeded !== null && (issued.reserve || issued.claims.decision === 'PERMIT'))
    throw new WritError('STORE_CONFLICT', `A PERMIT cannot pass the exceeded limit ${exceeded.id}`)
}
