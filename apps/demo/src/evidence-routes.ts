/**
 * The evidence download: `GET /api/evidence.tar` sends, in one tar file, what an auditor
 * needs to check this demo's chain with the CLI alone: a copy of the SQLite store (every
 * receipt), the published keys, a checkpoint signed now, and the command to run on them.
 */
import { readFileSync } from 'node:fs'
import type { ServerResponse } from 'node:http'
import type { SqliteStore } from '@writ/store-sqlite'
import type { Demo } from './demo-types.js'
import { writeTar } from './tar.js'

type EvidenceDemo = Pick<Demo, 'gate' | 'publishedKeys' | 'storePath'>

/** The folder the archive unpacks into. */
export const EVIDENCE_FOLDER = 'writ-evidence'

/** What to run after `tar xf`, from the folder the archive was unpacked in. */
export const EVIDENCE_COMMAND = `writ chain verify --store ${EVIDENCE_FOLDER}/receipts.db --keys ${EVIDENCE_FOLDER}/keys.json --checkpoint ${EVIDENCE_FOLDER}/checkpoint.jws`

const README = `Evidence of a Writ demo chain.

  receipts.db     the authority's SQLite store: every receipt, in chain order
  keys.json       the authority's published public keys (JWK Set)
  checkpoint.jws  a checkpoint of the chain (size and head), signed when you downloaded this

Check it with the Writ CLI (npm install -g @writ/cli), from the folder you unpacked in:

  ${EVIDENCE_COMMAND}

Exit 0: every receipt is signed by these keys, the chain has no gap, fork or edited row,
and it matches the checkpoint. Exit 1: something was changed; the output names it.
`

/** A consistent copy of the store file: the log folded in, read before anything else runs. */
function snapshot(demo: EvidenceDemo): Uint8Array | undefined {
  const store = demo.gate.store as Partial<SqliteStore>
  if (typeof store.checkpointWal !== 'function') return undefined
  // Both calls are synchronous: no append can run between them.
  const result = store.checkpointWal('TRUNCATE')
  if (result.busy) return undefined
  return readFileSync(demo.storePath)
}

/** Answers `GET /api/evidence.tar`; false for any other request. */
export async function handleEvidenceRoute(
  demo: EvidenceDemo,
  method: string,
  path: string,
  response: ServerResponse,
): Promise<boolean> {
  if (method !== 'GET' || path !== '/api/evidence.tar') return false
  const checkpoint = await demo.gate.checkpoint()
  const keys = await demo.publishedKeys()
  const database = snapshot(demo)
  if (database === undefined) {
    response.writeHead(503, { 'content-type': 'text/plain; charset=utf-8' })
    response.end('The store could not be copied right now; try again.\n')
    return true
  }
  const text = (value: string) => new TextEncoder().encode(value)
  const archive = writeTar(
    [
      { name: `${EVIDENCE_FOLDER}/receipts.db`, data: database },
      { name: `${EVIDENCE_FOLDER}/keys.json`, data: text(`${JSON.stringify(keys, null, 2)}\n`) },
      { name: `${EVIDENCE_FOLDER}/checkpoint.jws`, data: text(`${checkpoint.token}\n`) },
      { name: `${EVIDENCE_FOLDER}/README.txt`, data: text(README) },
    ],
    Math.floor(Date.now() / 1000),
  )
  response.writeHead(200, {
    'content-type': 'application/x-tar',
    'content-disposition': `attachment; filename="writ-evidence-${demo.gate.chainId}.tar"`,
    'content-length': String(archive.length),
    'cache-control': 'no-store',
  })
  response.end(archive)
  return true
}
