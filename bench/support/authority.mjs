// One authority process for the server benchmark, as `writ serve` runs it: a local gate
// (policy, key, store) behind startAuthorityServer on 127.0.0.1, in its own process so
// the load generator never shares its event loop.
//
//   node bench/support/authority.mjs <store> [postgres-url]
//   store: bare (an HTTP floor: the same stack answering a fixed JSON, no gate),
//          memory, sqlite (synchronous=FULL, what `writ serve --sqlite` opens),
//          sqlite-group (group commit), postgres
// Prints one JSON line `{ "url": …, "keys": … }`, then serves until stdin closes.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { serve } from '@hono/node-server'
import { createGate, generateSigningKey } from '@writ/core'
import { hashToken, startAuthorityServer } from '@writ/server'
import { Hono } from 'hono'

import { BENCH_TOKEN } from './authority-token.mjs'
import { benchPolicy } from './bench-policy.mjs'

const [kind, postgresUrl] = process.argv.slice(2)
const policy = benchPolicy()
const dir = mkdtempSync(join(tmpdir(), 'writ-bench-serve-'))
let store
let close = async () => {}
let url
let keys
if (kind === 'bare') {
  const app = new Hono()
  app.post('/v1/decisions', async (context) => {
    await context.req.arrayBuffer()
    return context.json({
      decision: 'PERMIT',
      reason: 'RULE_PERMIT',
      rule: 'small-transfers',
      receipt: 'x'.repeat(620),
    })
  })
  const server = await new Promise((resolve) => {
    const instance = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () =>
      resolve(instance),
    )
  })
  url = `http://127.0.0.1:${server.address().port}`
  close = () => new Promise((resolve) => server.close(resolve))
} else {
  if (kind === 'sqlite' || kind === 'sqlite-group') {
    const { createSqliteStore } = await import('@writ/store-sqlite')
    store = createSqliteStore({ path: join(dir, 'writ.db'), groupCommit: kind === 'sqlite-group' })
  } else if (kind === 'postgres') {
    const { createPostgresStore } = await import('@writ/store-postgres')
    store = await createPostgresStore({ connectionString: postgresUrl, maxConnections: 20 })
  } else if (kind !== 'memory') {
    throw new Error(`unknown store ${kind}`)
  }
  const gate = createGate({
    policy,
    keys: generateSigningKey(),
    issuer: 'https://authority.bench',
    ...(store ? { store } : {}),
    chainId: `bench-${kind}-${process.pid}`,
  })
  const authority = await startAuthorityServer({
    gate,
    agents: [{ agent: 'bench-agent', tokenSha256: hashToken(BENCH_TOKEN) }],
    // The load generator is one agent on one token: lift its per-credential limits so the
    // benchmark measures decisions, not the rate limiter.
    limits: { ratePerSecond: 1_000_000, burst: 1_000_000, maxInFlight: 100_000 },
  })
  url = authority.url
  keys = await gate.keys()
  close = async () => {
    await authority.close()
    await store?.close()
  }
}
process.stdout.write(`${JSON.stringify({ url, keys })}\n`)
process.stdin.resume()
process.stdin.on('end', async () => {
  await close()
  rmSync(dir, { recursive: true, force: true })
  process.exit(0)
})
