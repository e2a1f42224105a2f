// A decision loop to profile with `node --cpu-prof` (see docs/performance.md):
//   node --cpu-prof --cpu-prof-dir=bench/profiles bench/profile-decision.mjs [count] [memory|sqlite-group]
//   node bench/support/summarize-profile.mjs bench/profiles/<file>.cpuprofile
// `sqlite-group` runs 64 concurrent callers on a SQLite store with group commit.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createGate, generateSigningKey } from '@writ/core'
import { createSqliteStore } from '@writ/store-sqlite'
import { BENCH_REQUEST, benchPolicy } from './support/bench-policy.mjs'

const policy = benchPolicy()
const kind = process.argv[3] ?? 'memory'
const store =
  kind === 'sqlite-group'
    ? createSqliteStore({
        path: join(mkdtempSync(join(tmpdir(), 'writ-profile-')), 'writ.db'),
        groupCommit: true,
      })
    : undefined
const gate = createGate({
  policy,
  keys: generateSigningKey(),
  issuer: 'bench',
  ...(store ? { store } : {}),
})
const request = BENCH_REQUEST
const count = Number(process.argv[2] ?? 100000)
const callers = kind === 'sqlite-group' ? 64 : 1
await Promise.all(
  Array.from({ length: callers }, async () => {
    for (let index = 0; index < count / callers; index++) await gate.authorize(request)
  }),
)
await store?.close()
