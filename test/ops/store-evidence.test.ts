/**
 * A store deleted or replaced under a running `writ serve` is noticed (decisions and
 * /readyz fail closed), and a chain id with history elsewhere is never started again.
 */
import { renameSync, rmSync } from 'node:fs'
import { createSqliteStore } from '@writ/store-sqlite'
import { describe, expect, it } from 'vitest'
import {
  decide,
  type OpsWorkspace,
  opsFile,
  opsWorkspace,
  spawnWrit,
  startServe,
} from './support.js'

let ws: OpsWorkspace
opsFile()

const removeStore = (path: string) => {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${path}${suffix}`, { force: true })
}

describe('a store that vanished or was replaced', () => {
  it('fails decisions and /readyz closed once the SQLite file is deleted', async () => {
    ws = opsWorkspace()
    try {
      const server = await startServe([...ws.serveArgs(), '--chain-id', 'deleted'])
      expect((await decide(server.url, ws.token)).status).toBe(200)
      removeStore(ws.path('writ.db'))
      const refused = await decide(server.url, ws.token)
      expect(refused.status).toBe(503)
      expect(refused.body['code']).toBe('STORE_UNAVAILABLE')
      const ready = await fetch(`${server.url}/readyz`)
      expect(ready.status).toBe(503)
      server.child.kill('SIGTERM')
      expect(await server.exited).toBe(0)
    } finally {
      ws.remove()
    }
  }, 60_000)

  it('fails decisions and /readyz closed once another store file is renamed over it', async () => {
    ws = opsWorkspace()
    try {
      const other = createSqliteStore({ path: ws.path('other.db') })
      await other.close()
      const server = await startServe([...ws.serveArgs(), '--chain-id', 'replaced'])
      expect((await decide(server.url, ws.token)).status).toBe(200)
      renameSync(ws.path('other.db'), ws.path('writ.db'))
      const refused = await decide(server.url, ws.token)
      expect(refused.status).toBe(503)
      expect(refused.body['code']).toBe('STORE_UNAVAILABLE')
      expect((await fetch(`${server.url}/readyz`)).status).toBe(503)
      server.child.kill('SIGTERM')
      expect(await server.exited).toBe(0)
    } finally {
      ws.remove()
    }
  }, 60_000)
})

describe('a chain id with history elsewhere', () => {
  it('is refused on a fresh store (CHAIN_HISTORY_EXISTS, exit 6); --new-chain with a new id starts', async () => {
    ws = opsWorkspace()
    try {
      const first = await startServe([...ws.serveArgs(), '--chain-id', 'history'])
      for (let index = 0; index < 3; index++)
        expect((await decide(first.url, ws.token)).status).toBe(200)
      first.child.kill('SIGTERM')
      expect(await first.exited).toBe(0)

      // The store is lost; its checkpoints, kept beside it, are not.
      removeStore(ws.path('writ.db'))
      const refused = spawnWrit([...ws.serveArgs(), '--chain-id', 'history'])
      expect(await refused.exited).toBe(6)
      expect(refused.stderr()).toMatch(/^writ: CHAIN_HISTORY_EXISTS: /m)
      expect(refused.stdout()).not.toMatch(/serving on/)

      // --new-chain is refused for the chain that has history...
      const reused = spawnWrit([...ws.serveArgs(), '--chain-id', 'history', '--new-chain'])
      expect(await reused.exited).toBe(6)
      expect(reused.stderr()).toMatch(/^writ: CHAIN_HISTORY_EXISTS: /m)

      // ...and starts a chain that has none.
      const renamed = await startServe([...ws.serveArgs(), '--chain-id', 'other', '--new-chain'])
      const decision = await decide(renamed.url, ws.token)
      expect(decision.status).toBe(200)
      renamed.child.kill('SIGTERM')
      expect(await renamed.exited).toBe(0)
    } finally {
      ws.remove()
    }
  }, 60_000)

  it('restarts normally on its own store', async () => {
    ws = opsWorkspace()
    try {
      const first = await startServe([...ws.serveArgs(), '--chain-id', 'own'])
      expect((await decide(first.url, ws.token)).status).toBe(200)
      first.child.kill('SIGTERM')
      expect(await first.exited).toBe(0)
      const again = await startServe([...ws.serveArgs(), '--chain-id', 'own'])
      expect((await decide(again.url, ws.token)).status).toBe(200)
      again.child.kill('SIGTERM')
      expect(await again.exited).toBe(0)
    } finally {
      ws.remove()
    }
  }, 60_000)
})
