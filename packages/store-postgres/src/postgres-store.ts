import type {
  AppendContext,
  AppendOptions,
  ChainPosition,
  IssuedReceipt,
  LimitCheck,
  Store,
  StoredCheckpoint,
  StoredReceipt,
} from '@writ/core'
import { type Digest, type ReceiptClaims, tokenDigest, WritError } from '@writ/verify'
import { type ConnectionOptions, connect } from './connection.js'
import { type ReplayClaimOptions, replayOn } from './replay-cache.js'

/** Options of {@link createPostgresStore}. */
export interface PostgresStoreOptions extends ConnectionOptions, ReplayClaimOptions {}

function decodeClaims(token: string): ReceiptClaims {
  const part = token.split('.')[1] ?? ''
  return JSON.parse(new TextDecoder().decode(base64urlBytes(part))) as ReceiptClaims
}

function base64urlBytes(text: string): Uint8Array {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/')
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4))
  return Uint8Array.from(binary, (character) => character.charCodeAt(0))
}

/**
 * A {@link Store} on PostgreSQL, for several authority instances sharing one
 * database. Each instance appends to its own chain; limits and the replay cache
 * are shared, so a daily limit holds across every instance.
 *
 * `append` runs in one transaction: it locks the chain's head row, takes a
 * transaction-scoped advisory lock per limit key (in sorted order, so instances
 * never deadlock), sums the rolling window, lets the issuer sign, writes the
 * receipt and its reservations, and commits before it resolves. Every failure
 * rolls back and surfaces as a `WritError` (`STORE_UNAVAILABLE`, `STORE_FULL`,
 * `STORE_CONFLICT`); nothing committed earlier is touched.
 *
 * @example
 * ```ts
 * const store = await createPostgresStore({ connectionString: process.env.DATABASE_URL })
 * const gate = createGate({ policy, keys, issuer, store, chainId: `instance-${hostname()}` })
 * ```
 */
export async function createPostgresStore(options: PostgresStoreOptions): Promise<Store> {
  const connection = await connect(options)
  const { table, withClient } = connection

  const store: Store = {
    async append(
      chainId: string,
      appendOptions: AppendOptions,
      issue: (context: AppendContext) => IssuedReceipt,
    ): Promise<StoredReceipt> {
      return withClient('append', async (client) => {
        await client.query('BEGIN')
        try {
          await client.query(
            `INSERT INTO ${table('chains')} (chain_id, next_seq, head) VALUES ($1, 0, NULL) ON CONFLICT (chain_id) DO NOTHING`,
            [chainId],
          )
          const head = await client.query<{ next_seq: string; head: string | null }>(
            `SELECT next_seq, head FROM ${table('chains')} WHERE chain_id = $1 FOR UPDATE`,
            [chainId],
          )
          const row = head.rows[0]
          if (!row)
            throw new WritError('STORE_UNAVAILABLE', `Chain ${chainId} vanished during append`)
          const position: ChainPosition = {
            chainId,
            seq: Number(row.next_seq),
            prev: row.head as Digest | null,
          }
          const limits = [...(appendOptions.limits ?? [])].sort((a, b) =>
            a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
          )
          let exceeded: LimitCheck | null = null
          for (const limit of limits) {
            await client.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [
              `writ-limit:${limit.key}`,
            ])
            const sum = await client.query<{ total: number }>(
              `SELECT coalesce(sum(amount), 0)::float8 AS total FROM ${table('reservations')} WHERE key = $1 AND at > $2`,
              [limit.key, appendOptions.now - limit.windowSeconds],
            )
            const total = Number(sum.rows[0]?.total ?? 0)
            if (exceeded === null && total + limit.amount > limit.max) exceeded = limit
          }
          const issued = issue({ position, exceeded })
          const claims = issued.claims
          // The store is the last line of defence for the chain and the limits: a
          // receipt for another position, or a PERMIT past an exceeded limit, is refused.
          if (
            claims.chain.id !== chainId ||
            claims.chain.seq !== position.seq ||
            claims.chain.prev !== position.prev
          ) {
            throw new WritError(
              'STORE_CONFLICT',
              `The receipt was issued for ${claims.chain.id}#${claims.chain.seq}, not ${chainId}#${position.seq}`,
            )
          }
          if (exceeded !== null && (issued.reserve || claims.decision === 'PERMIT')) {
            throw new WritError(
              'STORE_CONFLICT',
              `A PERMIT cannot pass the exceeded limit ${exceeded.id}`,
            )
          }
          const digest = tokenDigest(issued.token)
          await client.query(
            `INSERT INTO ${table('receipts')} (chain_id, seq, jti, req, decision, iat, digest, prev, token) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
            [
              chainId,
              position.seq,
              claims.jti,
              claims.req,
              claims.decision,
              claims.iat,
              digest,
              position.prev,
              issued.token,
            ],
          )
          await client.query(
            `UPDATE ${table('chains')} SET next_seq = next_seq + 1, head = $2 WHERE chain_id = $1`,
            [chainId, digest],
          )
          if (issued.reserve && exceeded === null) {
            for (const limit of limits) {
              await client.query(
                `INSERT INTO ${table('reservations')} (key, at, amount, limit_id, jti) VALUES ($1, $2, $3, $4, $5)`,
                [limit.key, appendOptions.now, limit.amount, limit.id, claims.jti],
              )
            }
          }
          await client.query('COMMIT')
          return { token: issued.token, claims }
        } catch (error) {
          await client.query('ROLLBACK').catch(() => {})
          throw error
        }
      })
    },

    async head(chainId: string): Promise<ChainPosition> {
      return withClient('head', async (client) => {
        const result = await client.query<{ next_seq: string; head: string | null }>(
          `SELECT next_seq, head FROM ${table('chains')} WHERE chain_id = $1`,
          [chainId],
        )
        const row = result.rows[0]
        return row
          ? { chainId, seq: Number(row.next_seq), prev: row.head as Digest | null }
          : { chainId, seq: 0, prev: null }
      })
    },

    receipts(
      chainId: string,
      range: { fromSeq?: number; limit?: number } = {},
    ): AsyncIterable<StoredReceipt> {
      const pageSize = 1000
      return {
        async *[Symbol.asyncIterator]() {
          let next = range.fromSeq ?? 0
          let remaining = range.limit ?? Number.POSITIVE_INFINITY
          while (remaining > 0) {
            const take = Math.min(pageSize, remaining)
            const page = await withClient('receipts', (client) =>
              client.query<{ token: string; seq: string }>(
                `SELECT token, seq FROM ${table('receipts')} WHERE chain_id = $1 AND seq >= $2 ORDER BY seq LIMIT $3`,
                [chainId, next, take],
              ),
            )
            for (const row of page.rows) yield { token: row.token, claims: decodeClaims(row.token) }
            if (page.rows.length < take) return
            next = Number(page.rows[page.rows.length - 1]?.seq) + 1
            remaining -= page.rows.length
          }
        },
      }
    },

    async receipt(jti: string): Promise<StoredReceipt | undefined> {
      const result = await withClient('receipt', (client) =>
        client.query<{ token: string }>(`SELECT token FROM ${table('receipts')} WHERE jti = $1`, [
          jti,
        ]),
      )
      const token = result.rows[0]?.token
      return token === undefined ? undefined : { token, claims: decodeClaims(token) }
    },

    async receiptsByRequest(req: string): Promise<StoredReceipt[]> {
      const result = await withClient('receiptsByRequest', (client) =>
        client.query<{ token: string }>(
          `SELECT token FROM ${table('receipts')} WHERE req = $1 ORDER BY chain_id, seq`,
          [req],
        ),
      )
      return result.rows.map((row) => ({ token: row.token, claims: decodeClaims(row.token) }))
    },

    async chains(): Promise<string[]> {
      const result = await withClient('chains', (client) =>
        client.query<{ chain_id: string }>(
          `SELECT chain_id FROM ${table('chains')} ORDER BY chain_id`,
        ),
      )
      return result.rows.map((row) => row.chain_id)
    },

    async putCheckpoint(checkpoint: StoredCheckpoint): Promise<void> {
      await withClient('putCheckpoint', (client) =>
        client.query(
          `INSERT INTO ${table('checkpoints')} (chain_id, size, head, iat, token) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (token) DO NOTHING`,
          [checkpoint.chainId, checkpoint.size, checkpoint.head, checkpoint.iat, checkpoint.token],
        ),
      )
    },

    async latestCheckpoint(chainId: string): Promise<StoredCheckpoint | undefined> {
      const result = await withClient('latestCheckpoint', (client) =>
        client.query<{ size: string; head: string | null; iat: string; token: string }>(
          `SELECT size, head, iat, token FROM ${table('checkpoints')} WHERE chain_id = $1 ORDER BY size DESC, iat DESC, recorded DESC LIMIT 1`,
          [chainId],
        ),
      )
      const row = result.rows[0]
      return row
        ? {
            chainId,
            size: Number(row.size),
            head: row.head as Digest | null,
            iat: Number(row.iat),
            token: row.token,
          }
        : undefined
    },

    replay: replayOn(connection, options),

    close: () => connection.close(),
  }
  return store
}
