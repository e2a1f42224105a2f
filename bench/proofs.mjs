// Inclusion and consistency proofs on a long chain (spec section 12).
// A chain of `--receipts` (default 1,000,000; 20,000 with --smoke) receipts is appended to a
// memory store and to a SQLite file (group commit, so the fill takes about a minute, not an
// hour), each append writing its complete-subtree hashes in its own transaction as in
// production. Then random inclusion proofs (a random receipt in a random size) and
// consistency proofs (between two random sizes) are asked of each store through
// `chainTree`, the way the server answers /proof/inclusion and /proof/consistency. The time
// is store time: the head read, the O(log n) node reads and the hashing of the proof path.
// The receipts' tokens are placeholders: a tree's cost does not depend on what its leaves say.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { chainTree, createMemoryStore } from '@writ/core'
import { createSqliteStore } from '@writ/store-sqlite'
import { option, runCases, smoke, table, target, writeResults } from './harness.mjs'

const receipts = Number(option('receipts', smoke ? 20_000 : 1_000_000))
const CHAIN = 'bench'

/** A structurally valid receipt for `position`: the stores check the chain fields only. */
function placeholder(context) {
  const { seq, prev } = context.position
  const claims = {
    jti: `bench-${seq}`,
    req: `req-${seq}`,
    iat: 1_700_000_000,
    decision: 'DENY',
    chain: { id: CHAIN, seq, prev },
  }
  return { token: `eyJhbGciOiJFZERTQSJ9.bench-${seq}.sig`, claims, reserve: false }
}

async function fill(store) {
  const started = performance.now()
  const batch = 2048
  for (let done = 0; done < receipts; done += batch) {
    const count = Math.min(batch, receipts - done)
    await Promise.all(
      Array.from({ length: count }, () => store.append(CHAIN, { now: 1_700_000_000 }, placeholder)),
    )
  }
  return (performance.now() - started) / 1000
}

let seed = 0x2545f491
function random(below) {
  seed ^= seed << 13
  seed ^= seed >>> 17
  seed ^= seed << 5
  return (seed >>> 0) % below
}

function proofCases(label, store) {
  const tree = chainTree(store, CHAIN)
  return [
    {
      name: `${label}: inclusion proof, random receipt and size`,
      run: async () => {
        const size = 1 + random(receipts)
        return tree.inclusionProof(random(size), size)
      },
    },
    {
      name: `${label}: inclusion proof of the newest receipt, full size`,
      run: () => tree.inclusionProof(receipts - 1, receipts),
    },
    {
      name: `${label}: consistency proof, two random sizes`,
      run: async () => {
        const a = 1 + random(receipts)
        const b = 1 + random(receipts)
        return tree.consistencyProof(Math.min(a, b), Math.max(a, b))
      },
    },
    { name: `${label}: root of the full tree`, run: () => tree.root(receipts) },
  ]
}

const directory = mkdtempSync(join(tmpdir(), 'writ-bench-proofs-'))
const memory = createMemoryStore()
const sqlite = createSqliteStore({ path: join(directory, 'proofs.db'), groupCommit: true })
try {
  console.log(`filling a ${receipts}-receipt chain in memory and in SQLite …`)
  const fillSeconds = { memory: await fill(memory), sqlite: await fill(sqlite) }
  console.log(
    `filled in ${fillSeconds.memory.toFixed(1)} s (memory), ${fillSeconds.sqlite.toFixed(1)} s (SQLite)`,
  )
  const rows = await runCases([...proofCases('memory', memory), ...proofCases('sqlite', sqlite)])
  console.log(table(rows))
  const worst = (label) =>
    Math.max(
      ...rows
        .filter((row) => row.name.startsWith(label) && row.name.includes('proof'))
        .map((row) => row.latencyMs.p50),
    )
  const file = writeResults('proofs', {
    receipts,
    fillSeconds,
    rows,
    targets: {
      sqliteProofUnder1ms: target(worst('sqlite'), '<', 1, {
        what: 'median store time of an inclusion or consistency proof, SQLite, ms',
      }),
      memoryProofUnder1ms: target(worst('memory'), '<', 1, {
        what: 'median store time of an inclusion or consistency proof, memory, ms',
      }),
    },
  })
  console.log(`results: ${file}`)
} finally {
  await memory.close()
  await sqlite.close()
  rmSync(directory, { recursive: true, force: true })
}
