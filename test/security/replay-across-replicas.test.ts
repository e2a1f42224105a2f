/**
 * Single use across replicas (item: shared replay cache for receiving services). A
 * receiving service that runs two replicas, each with its own in-memory replay cache,
 * executes one PERMIT once on each. A replay cache shared through one SQLite file (one
 * host, many processes) or one PostgreSQL database (many hosts) accepts it exactly once.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { PermitDecision } from '@writ/core'
import { createPostgresReplayCache, createPostgresStore } from '@writ/store-postgres'
import { createSqliteReplayCache } from '@writ/store-sqlite'
import { type ReplayCache, verifyPermit, WritError } from '@writ/verify'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type PgCluster, startPgCluster } from '../support/pg-cluster.mjs'
import { makeGate, rejectionCode } from './support.js'

const directories: string[] = []
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true })
})

function temporaryFile(name = 'replay.db'): string {
  const directory = mkdtempSync(join(tmpdir(), 'writ-replay-'))
  directories.push(directory)
  return join(directory, name)
}

async function permitted() {
  const gate = makeGate()
  const decision = await gate.authorize({ action: 'payments.transfer', args: { amount: 10 } })
  expect(decision.decision).toBe('PERMIT')
  return { gate, receipt: (decision as PermitDecision).receipt }
}

/** What each replica answers for one receipt: `accepted` or the refusal's code. */
async function replicaAnswers(
  receipt: string,
  keys: Awaited<ReturnType<typeof permitted>>['gate'],
  caches: readonly ReplayCache[],
): Promise<string[]> {
  const answers: string[] = []
  for (const replay of caches) {
    try {
      await verifyPermit(receipt, keys.verifyKeys(), {
        action: 'payments.transfer',
        args: { amount: 10 },
        replay,
      })
      answers.push('accepted')
    } catch (error) {
      answers.push(WritError.isInstance(error) ? error.code : 'ERROR')
    }
  }
  return answers
}

describe('single use across replicas: SQLite (one host)', () => {
  it('two replay caches on one file accept a PERMIT exactly once', async () => {
    const path = temporaryFile()
    const { gate, receipt } = await permitted()
    const first = createSqliteReplayCache({ path })
    const second = createSqliteReplayCache({ path })
    try {
      expect(await replicaAnswers(receipt, gate, [first, second, first])).toEqual([
        'accepted',
        'REPLAYED',
        'REPLAYED',
      ])
    } finally {
      await first.close()
      await second.close()
    }
  })

  it('two replica processes on one file accept a PERMIT exactly once', async () => {
    const path = temporaryFile()
    const { gate, receipt } = await permitted()
    const keys = JSON.stringify(await gate.keys())
    const replicas = [startReplica(path, receipt, keys), startReplica(path, receipt, keys)]
    await Promise.all(replicas.map((replica) => replica.ready))
    // Release both at once: they race for the same jti.
    for (const replica of replicas) replica.child.stdin?.write('go\n')
    const answers = await Promise.all(replicas.map((replica) => replica.answer))
    expect(answers.sort()).toEqual(['REPLAYED', 'accepted'])
  })

  it('a cache that cannot write refuses with REPLAY_CACHE_UNAVAILABLE, never a pass', async () => {
    const path = temporaryFile()
    const { gate, receipt } = await permitted()
    // Room for the schema and little more: claims fill the file. The schema's own size
    // is read off an empty cache, so the test follows the schema as it grows.
    const probe = temporaryFile()
    await createSqliteReplayCache({ path: probe }).close()
    const schemaPages = Math.ceil(statSync(probe).size / 4096)
    const replay = createSqliteReplayCache({ path, maxPageCount: schemaPages + 4 })
    try {
      const expiresAt = Math.floor(Date.now() / 1000) + 300
      // Long ids first, then ids shorter than a receipt's: no room is left for any jti.
      for (const padding of [200, 0]) {
        let fillCode = ''
        for (let index = 0; index < 100_000 && fillCode === ''; index++) {
          try {
            replay.claim(`f${padding}-${index}${'x'.repeat(padding)}`, expiresAt)
          } catch (error) {
            fillCode = WritError.isInstance(error) ? error.code : 'ERROR'
          }
        }
        expect(fillCode).toBe('REPLAY_CACHE_UNAVAILABLE')
      }
      expect(await replicaAnswers(receipt, gate, [replay])).toEqual(['REPLAY_CACHE_UNAVAILABLE'])
    } finally {
      await replay.close()
    }
  })

  it('a closed cache refuses with REPLAY_CACHE_UNAVAILABLE', async () => {
    const { gate, receipt } = await permitted()
    const replay = createSqliteReplayCache({ path: temporaryFile() })
    await replay.close()
    expect(
      await rejectionCode(
        verifyPermit(receipt, gate.verifyKeys(), {
          action: 'payments.transfer',
          args: { amount: 10 },
          replay,
        }),
      ),
    ).toBe('REPLAY_CACHE_UNAVAILABLE')
  })

  it('refuses to open a cache file it cannot write', async () => {
    const path = temporaryFile()
    await createSqliteReplayCache({ path }).close()
    chmodSync(path, 0o400)
    // root ignores file modes; the check only means something for other users.
    if (process.getuid?.() === 0) return
    let code = ''
    try {
      await createSqliteReplayCache({ path }).close()
    } catch (error) {
      if (WritError.isInstance(error)) code = error.code
    }
    expect(code).toBe('REPLAY_CACHE_UNAVAILABLE')
  })
})

const claimer = fileURLToPath(new URL('./fixtures/replay-claimer.ts', import.meta.url))
const claimerTsconfig = fileURLToPath(new URL('./fixtures/tsconfig.json', import.meta.url))

function startReplica(
  path: string,
  token: string,
  keys: string,
): { child: ChildProcess; ready: Promise<void>; answer: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', claimer, path], {
    env: {
      ...process.env,
      TSX_TSCONFIG_PATH: claimerTsconfig,
      WRIT_TEST_TOKEN: token,
      WRIT_TEST_KEYS: keys,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  let markReady: () => void = () => {}
  const ready = new Promise<void>((resolve) => {
    markReady = resolve
  })
  child.stdout?.setEncoding('utf8')
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk
  })
  child.stdout?.on('data', (chunk: string) => {
    stdout += chunk
    if (stdout.startsWith('ready\n')) markReady()
  })
  const answer = new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => {
      const lines = stdout.split('\n').filter((line) => line.length > 0)
      if (lines[0] !== 'ready' || lines.length !== 2)
        reject(new Error(`replica exited ${code}: ${stdout} ${stderr}`))
      else resolve(lines[1] as string)
      markReady()
    })
  })
  return { child, ready, answer }
}

describe('single use across replicas: PostgreSQL (many hosts)', () => {
  let cluster: PgCluster | undefined
  let url = process.env['WRIT_PG_URL'] ?? ''
  let counter = 0
  const freshSchema = () => `replay_${process.pid}_${Date.now().toString(36)}_${counter++}`

  beforeAll(async () => {
    if (!url) {
      cluster = await startPgCluster()
      url = cluster.url
    }
  })
  afterAll(() => cluster?.destroy())

  it('two replay caches on one database accept a PERMIT exactly once', async () => {
    const schema = freshSchema()
    const { gate, receipt } = await permitted()
    const first = await createPostgresReplayCache({ connectionString: url, schema })
    const second = await createPostgresReplayCache({ connectionString: url, schema })
    try {
      expect(await replicaAnswers(receipt, gate, [first, second, first])).toEqual([
        'accepted',
        'REPLAYED',
        'REPLAYED',
      ])
      // Racing replicas: of many concurrent claims on one jti, exactly one wins.
      const again = await permitted()
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, index) =>
          (index % 2 === 0 ? first : second).claim(
            `race-${again.receipt.slice(-16)}`,
            Math.floor(Date.now() / 1000) + 60,
          ),
        ),
      )
      expect(results.filter((won) => won)).toHaveLength(1)
    } finally {
      await first.close()
      await second.close()
    }
  })

  it('the PostgreSQL store shares its replay cache with a standalone one', async () => {
    const schema = freshSchema()
    const { gate, receipt } = await permitted()
    const store = await createPostgresStore({ connectionString: url, schema })
    const standalone = await createPostgresReplayCache({ connectionString: url, schema })
    try {
      expect(await replicaAnswers(receipt, gate, [store.replay, standalone])).toEqual([
        'accepted',
        'REPLAYED',
      ])
    } finally {
      await store.close()
      await standalone.close()
    }
  })

  it('a database that is down refuses with REPLAY_CACHE_UNAVAILABLE, never a pass', async () => {
    const { gate, receipt } = await permitted()
    const replay = await createPostgresReplayCache({
      connectionString: url,
      schema: freshSchema(),
      timeoutMs: 2000,
    })
    // Closing the cache ends its pool: the next claim has no database to ask.
    await replay.close()
    expect(await replicaAnswers(receipt, gate, [replay])).toEqual(['REPLAY_CACHE_UNAVAILABLE'])
  })
})
