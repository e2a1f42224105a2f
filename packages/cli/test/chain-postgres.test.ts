/**
 * `writ chain verify`, `writ checkpoint` and `writ decide` on a PostgreSQL store, the
 * same as on SQLite: the chain audit operations.md schedules works for every store.
 * Each test gets its own database on the real PostgreSQL at $WRIT_PG_URL (or a
 * throwaway cluster).
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { type PgCluster, startPgCluster } from '../../../test/support/pg-cluster.mjs'
import { decideArgv, signingWorkspace, type Workspace } from './helpers.js'

let cluster: PgCluster | undefined
let adminUrl = process.env['WRIT_PG_URL'] ?? ''
beforeAll(async () => {
  if (!adminUrl) {
    cluster = await startPgCluster()
    adminUrl = cluster.url
  }
}, 120_000)
afterAll(() => cluster?.destroy())

async function admin<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url })
  await client.connect()
  try {
    return await work(client)
  } finally {
    await client.end()
  }
}

let ws: Workspace
let dbUrl: string
let database: string

/** Runs `writ` in-process with the given environment. */
const writ = (env: Record<string, string>, ...argv: string[]) => ws.writWith(env, ...argv)

beforeEach(async () => {
  ws = await signingWorkspace()
  database = `writ_cli_${randomBytes(6).toString('hex')}`
  await admin(adminUrl, (client) => client.query(`CREATE DATABASE ${database}`))
  const url = new URL(adminUrl)
  url.pathname = `/${database}`
  dbUrl = url.toString()
}, 60_000)
afterEach(async () => {
  ws.remove()
  await admin(adminUrl, (client) =>
    client.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`),
  )
})

async function decideInto(amounts: readonly number[], chain = 'audited'): Promise<void> {
  for (const amount of amounts) {
    const payee = amount === 13 ? 'mallory' : 'acme'
    const result = await writ(
      {},
      ...decideArgv({ to: payee, amount }, '--store', dbUrl, '--chain', chain),
    )
    expect(result.code, result.stderr).toBe(0)
  }
}

function sql(statement: string): Promise<unknown> {
  return admin(dbUrl, (client) => client.query(statement))
}

describe('a PostgreSQL store', () => {
  it('takes receipts from writ decide, a checkpoint from writ checkpoint, and verifies', async () => {
    await decideInto([10, 13, 20])
    await decideInto([5], 'other')
    const checkpoint = await writ(
      {},
      'checkpoint',
      '--store',
      dbUrl,
      '--key',
      'signing.jwk',
      '--chain',
      'audited',
      '--json',
    )
    expect(checkpoint.code, checkpoint.stderr).toBe(0)
    const issued = JSON.parse(checkpoint.stdout) as { size: number; token: string }
    expect(issued.size).toBe(3)
    ws.write('checkpoint.txt', issued.token)

    const verified = await writ(
      {},
      'chain',
      'verify',
      '--store',
      dbUrl,
      '--keys',
      'keys.json',
      '--checkpoint',
      'checkpoint.txt',
      '--json',
    )
    expect(verified.code, verified.stderr).toBe(0)
    expect(JSON.parse(verified.stdout)).toMatchObject({
      valid: true,
      keysFrom: 'keys',
      chains: [
        { chain: 'audited', valid: true, size: 3, checkpoints: 1 },
        { chain: 'other', valid: true, size: 1 },
      ],
    })
  })

  it('reads the URL from WRIT_STORE_URL or a private file, and refuses a password in argv', async () => {
    await decideInto([10])
    const withPassword = new URL(dbUrl)
    withPassword.username = 'writ'
    withPassword.password = 'hunter2'
    const refused = await writ(
      {},
      'chain',
      'verify',
      '--store',
      withPassword.toString(),
      '--keys',
      'keys.json',
    )
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/^writ: SECRET_ON_COMMAND_LINE:/)
    expect(refused.stderr).not.toContain('hunter2')
    const checkpointRefused = await writ(
      {},
      'checkpoint',
      '--store',
      withPassword.toString(),
      '--key',
      'signing.jwk',
    )
    expect(checkpointRefused.stderr).toMatch(/^writ: SECRET_ON_COMMAND_LINE:/)

    const fromEnv = await writ(
      { WRIT_STORE_URL: dbUrl },
      'chain',
      'verify',
      '--keys',
      'keys.json',
      '--json',
    )
    expect(fromEnv.code, fromEnv.stderr).toBe(0)
    expect(JSON.parse(fromEnv.stdout)).toMatchObject({
      valid: true,
      chains: [{ chain: 'audited', size: 1 }],
    })

    ws.write('store-url', `${dbUrl}\n`, 0o644)
    const exposed = await writ(
      {},
      'chain',
      'verify',
      '--store-url-file',
      'store-url',
      '--keys',
      'keys.json',
    )
    expect(exposed.stderr).toMatch(/^writ: FILE_UNSAFE:/)
    ws.write('private-url', `${dbUrl}\n`, 0o600)
    const fromFile = await writ(
      {},
      'checkpoint',
      '--store-url-file',
      'private-url',
      '--key',
      'signing.jwk',
      '--chain',
      'audited',
      '--json',
    )
    expect(fromFile.code, fromFile.stderr).toBe(0)
    expect(JSON.parse(fromFile.stdout)).toMatchObject({ chain: 'audited', size: 1 })
  })

  it('refuses a database without a Writ store, and leaves it untouched', async () => {
    const result = await writ({}, 'chain', 'verify', '--store', dbUrl, '--keys', 'keys.json')
    expect(result.code).toBe(3)
    expect(result.stderr).toMatch(/^writ: IO_ERROR:/)
    const schemas = await admin(dbUrl, (client) =>
      client.query("SELECT 1 FROM information_schema.schemata WHERE schema_name = 'writ'"),
    )
    expect(schemas.rowCount).toBe(0)
  })

  it.each([
    [
      'an edited column as CHAIN_ROW_MISMATCH at its seq',
      ["UPDATE writ.receipts SET decision = 'PERMIT' WHERE chain_id = 'audited' AND seq = 1"],
      'CHAIN_ROW_MISMATCH',
    ],
    [
      'a deleted receipt, also in a chain whose head row was removed',
      [
        "DELETE FROM writ.receipts WHERE chain_id = 'audited' AND seq = 1",
        "DELETE FROM writ.chains WHERE chain_id = 'audited'",
      ],
      'CHAIN_GAP',
    ],
  ])('reports %s', async (_name, statements, code) => {
    await decideInto([10, 13, 20])
    for (const statement of statements) await sql(statement)
    const result = await writ(
      {},
      'chain',
      'verify',
      '--store',
      dbUrl,
      '--keys',
      'keys.json',
      '--json',
    )
    expect(result.code).toBe(1)
    expect(JSON.parse(result.stdout)).toMatchObject({
      valid: false,
      chains: [{ chain: 'audited', valid: false, code, seq: 1 }],
    })
  })
})
