/**
 * Scale-out: three real `writ serve` processes on one PostgreSQL, each with its
 * own chain, under concurrent load; then the faults an operator meets.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { createRemoteGate, generateSigningKey } from '@writ/core'
import { paymentsPolicyTextWith } from '@writ/core/testing'
import { createPostgresStore } from '@writ/store-postgres'
import { createKeySet, verifyChain, WritError } from '@writ/verify'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { firstAccepted, type PgCluster, startPgCluster } from '../../../test/support/pg-cluster.mjs'
import { hashToken } from '../src/index.js'

const root = fileURLToPath(new URL('../../../', import.meta.url))
const bin = join(root, 'packages/cli/dist/bin.js')
// The payments policy with a daily spend limit of 5,000 per agent (reason DAILY_SPEND).
const policy = paymentsPolicyTextWith({ dailySpendLimit: 5000 })
const token = 'scale-out-token-0123456789'

let cluster: PgCluster
let dir: string
const children: ChildProcess[] = []

async function serve(chain: string, url: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    [
      bin,
      'serve',
      '--policy',
      join(dir, 'policy.yaml'),
      '--key',
      join(dir, 'key.json'),
      '--agents',
      join(dir, 'agents.json'),
      '--postgres',
      url,
      '--chain',
      chain,
      '--port',
      '0',
      // One token carries the whole load here: lift the per-credential limits.
      '--max-in-flight',
      '256',
      '--rate',
      '10000',
      '--burst',
      '10000',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  )
  children.push(child)
  const base = await new Promise<string>((resolve, reject) => {
    let out = ''
    let err = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      const match = /serving on (http:\/\/[^\s]+)/.exec(out)
      if (match) resolve(match[1] as string)
    })
    child.stderr?.on('data', (chunk: Buffer) => {
      err += chunk.toString()
    })
    child.once('exit', (code) => reject(new Error(`writ serve exited ${code}: ${err}`)))
  })
  return { url: base, child }
}

beforeAll(async () => {
  if (!existsSync(bin))
    execFileSync(
      'npx',
      ['turbo', 'run', 'build', '--filter=@writ/cli...', '--output-logs=errors-only'],
      { cwd: root, stdio: 'inherit' },
    )
  cluster = await startPgCluster()
  dir = mkdtempSync(join(tmpdir(), 'writ-scale-'))
  writeFileSync(join(dir, 'policy.yaml'), policy, { mode: 0o644 })
  writeFileSync(join(dir, 'key.json'), JSON.stringify(generateSigningKey()), { mode: 0o600 })
  writeFileSync(
    join(dir, 'agents.json'),
    JSON.stringify({ agents: [{ agent: 'agent:payer', tokenSha256: hashToken(token) }] }),
    { mode: 0o644 },
  )
}, 180_000)

afterAll(() => {
  for (const child of children) child.kill('SIGKILL')
  cluster?.destroy()
})

describe('three writ serve instances on one PostgreSQL', () => {
  it('keep every chain contiguous and permit exactly 50 of 200 concurrent 100-unit payments under a 5,000 limit', async () => {
    const instances = await Promise.all(
      ['a', 'b', 'c'].map((chain) => serve(`instance-${chain}`, cluster.url)),
    )
    const keys = (await (
      await fetch(`${instances[0]!.url}/.well-known/writ/keys.json`)
    ).json()) as never
    const gates = instances.map((instance) =>
      createRemoteGate({ url: instance.url, token, keys, timeoutMs: 30_000 }),
    )
    const decisions = await Promise.all(
      Array.from({ length: 200 }, (_, index) =>
        gates[index % 3]!.authorize({
          action: 'payments.transfer',
          args: { amount: 100, to: `payee-${index}` },
        }),
      ),
    )
    expect(decisions.filter((decision) => decision.decision === 'PERMIT')).toHaveLength(50)
    const refused = decisions.filter((decision) => decision.decision !== 'PERMIT')
    expect(refused).toHaveLength(150)
    expect(
      new Set(
        refused.map((decision) => `${decision.decision}:${decision.reason}:${decision.rule}`),
      ),
    ).toEqual(new Set(['DENY:DAILY_SPEND:daily-spend']))
    // Every instance signed on its own chain, and each chain is contiguous.
    const store = await createPostgresStore({ connectionString: cluster.url })
    const keySet = createKeySet(keys)
    let total = 0
    for (const chain of ['instance-a', 'instance-b', 'instance-c']) {
      const tokens: string[] = []
      for await (const stored of store.receipts(chain)) tokens.push(stored.token)
      const report = await verifyChain(tokens, keySet)
      expect(report.valid).toBe(true)
      total += tokens.length
    }
    expect(total).toBe(200)
    await store.close()
    for (const instance of instances) instance.child.kill('SIGTERM')
  })

  it('refuses while PostgreSQL is down, loses nothing, and serves again when it is back', async () => {
    const own = await startPgCluster()
    try {
      const instance = await serve('fault-chain', own.url)
      const remote = createRemoteGate({ url: instance.url, token, timeoutMs: 10_000 })
      const before = await remote.authorize({
        action: 'payments.transfer',
        args: { amount: 1, to: 'bob' },
      })
      expect(before.decision).toBe('PERMIT')
      own.stop()
      let executed = 0
      const failure = await remote
        .guard({ action: 'payments.transfer', args: { amount: 1, to: 'bob' } }, () => executed++)
        .catch((error: unknown) => error)
      expect(executed).toBe(0)
      expect(WritError.isInstance(failure) && failure.code).toBe('STORE_UNAVAILABLE')
      const ready = await fetch(`${instance.url}/readyz`)
      expect(ready.status).toBe(503)
      // pg_ctl -w returns once PostgreSQL accepts connections. A pooled connection broken
      // by the restart fails its request once and is discarded, so with a pool of 10 the
      // eleventh request at the latest is served: retried on each failure, never on a timer.
      own.start()
      const after = await firstAccepted(11, () =>
        remote.authorize({ action: 'payments.transfer', args: { amount: 1, to: 'bob' } }),
      )
      expect(after.decision).toBe('PERMIT')
      const store = await createPostgresStore({ connectionString: own.url })
      const tokens: string[] = []
      for await (const stored of store.receipts('fault-chain')) tokens.push(stored.token)
      expect(tokens[0]).toBe(before.receipt)
      expect(tokens.at(-1)).toBe(after.receipt)
      expect((await verifyChain(tokens, createKeySet(await remote.keys()))).valid).toBe(true)
      await store.close()
      instance.child.kill('SIGTERM')
    } finally {
      own.destroy()
    }
  })
})
