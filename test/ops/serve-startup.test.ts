/**
 * How `writ serve` starts: its chain id, its failures (each a `writ: CODE:` line with
 * its exit code, nothing created), its config file, environment and secrets.
 */

import { chmodSync, existsSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { hostname } from 'node:os'
import { describe, expect, it } from 'vitest'
import { type OpsWorkspace, opsFile, opsWorkspace, spawnWrit, startServe } from './support.js'

let ws: OpsWorkspace
opsFile()

const withWorkspace = (test: () => Promise<void>) => async () => {
  ws = opsWorkspace()
  try {
    await test()
  } finally {
    ws.remove()
  }
}

const codeLine = (stderr: string) => /^writ: ([A-Z_]+): /m.exec(stderr)?.[1]

describe('the default chain id', () => {
  it(
    'is the host name, whatever the port, and serve says where it came from',
    withWorkspace(async () => {
      for (const _ of [1, 2]) {
        const server = await startServe(ws.serveArgs())
        expect(server.stdout()).toContain(`chain ${hostname()})`)
        await server.waitFor(/chain id .* \(the host name/)
        const ready = (await (await fetch(`${server.url}/readyz`)).json()) as { chain: string }
        expect(ready.chain).toBe(hostname())
        server.child.kill('SIGTERM')
        expect(await server.exited).toBe(0)
      }
    }),
    60_000,
  )

  it(
    'comes from WRIT_CHAIN_ID, and --chain-id wins over it',
    withWorkspace(async () => {
      const fromEnv = await startServe(ws.serveArgs(), { env: { WRIT_CHAIN_ID: 'env-chain' } })
      await fromEnv.waitFor(/chain id env-chain \(from WRIT_CHAIN_ID\)/)
      fromEnv.child.kill('SIGTERM')
      expect(await fromEnv.exited).toBe(0)
      const fromFlag = await startServe([...ws.serveArgs(), '--chain-id', 'flag-chain'], {
        env: { WRIT_CHAIN_ID: 'env-chain' },
      })
      await fromFlag.waitFor(/chain id flag-chain \(from --chain-id\)/)
      fromFlag.child.kill('SIGTERM')
      expect(await fromFlag.exited).toBe(0)
    }),
    60_000,
  )
})

describe('startup failures', () => {
  it(
    'a port in use: PORT_IN_USE, exit 5, and no store file created',
    withWorkspace(async () => {
      const blocker: Server = createServer()
      await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve))
      const port = (blocker.address() as { port: number }).port
      try {
        const args = ws.serveArgs().map((arg) => (arg === '0' ? String(port) : arg))
        const refused = spawnWrit(args)
        expect(await refused.exited).toBe(5)
        expect(codeLine(refused.stderr())).toBe('PORT_IN_USE')
        expect(refused.stderr()).not.toMatch(/\n\s+at /)
        expect(existsSync(ws.path('writ.db'))).toBe(false)
        expect(existsSync(ws.path('writ.db.checkpoints'))).toBe(false)
      } finally {
        blocker.close()
      }
    }),
    60_000,
  )

  it(
    'a non-loopback host without --issuer: ISSUER_REQUIRED, exit 2',
    withWorkspace(async () => {
      const refused = spawnWrit([...ws.serveArgs(), '--host', '0.0.0.0'])
      expect(await refused.exited).toBe(2)
      expect(codeLine(refused.stderr())).toBe('ISSUER_REQUIRED')
      expect(existsSync(ws.path('writ.db'))).toBe(false)
    }),
    60_000,
  )

  it(
    'a PostgreSQL password on the command line: SECRET_ON_COMMAND_LINE, exit 2',
    withWorkspace(async () => {
      for (const flag of ['--store', '--postgres']) {
        const args = ws.serveArgs().filter((_, index, all) => all[index - 1] !== '--store')
        const withoutStore = args.filter((arg) => arg !== '--store')
        const refused = spawnWrit([...withoutStore, flag, 'postgres://writ:hunter2@127.0.0.1/db'])
        expect(await refused.exited).toBe(2)
        expect(codeLine(refused.stderr())).toBe('SECRET_ON_COMMAND_LINE')
        expect(refused.stderr()).toMatch(/WRIT_STORE_URL/)
        expect(refused.stderr()).not.toContain('hunter2')
      }
    }),
    60_000,
  )
})

describe('the config file and the environment', () => {
  const config = (text: string, mode = 0o600) => {
    writeFileSync(ws.path('writ.yaml'), text, { mode })
    chmodSync(ws.path('writ.yaml'), mode)
    return ws.path('writ.yaml')
  }

  it(
    'serves from a config file, paths relative to it; flags win over env, env over the file',
    withWorkspace(async () => {
      const file = config(
        'policy: policy.yaml\nkey: key.json\nagents: agents.json\nstore: writ.db\nport: 0\nchainId: from-file\nmaxInFlight: 64\n',
      )
      const fromFile = await startServe(['serve', '--config', file])
      await fromFile.waitFor(/chain id from-file \(from the config file\)/)
      fromFile.child.kill('SIGTERM')
      expect(await fromFile.exited).toBe(0)
      const fromEnv = await startServe(['serve'], {
        env: { WRIT_CONFIG: file, WRIT_CHAIN_ID: 'from-env' },
      })
      await fromEnv.waitFor(/chain id from-env \(from WRIT_CHAIN_ID\)/)
      fromEnv.child.kill('SIGTERM')
      expect(await fromEnv.exited).toBe(0)
      const fromFlag = await startServe(['serve', '--config', file, '--chain-id', 'from-flag'], {
        env: { WRIT_CHAIN_ID: 'from-env' },
      })
      await fromFlag.waitFor(/chain id from-flag \(from --chain-id\)/)
      fromFlag.child.kill('SIGTERM')
      expect(await fromFlag.exited).toBe(0)
    }),
    60_000,
  )

  it(
    'refuses an invalid config file with CONFIG_INVALID, exit 2, at its line and column',
    withWorkspace(async () => {
      const file = config('policy: policy.yaml\nport: "eighty"\n')
      const wrongType = spawnWrit(['serve', '--config', file])
      expect(await wrongType.exited).toBe(2)
      expect(codeLine(wrongType.stderr())).toBe('CONFIG_INVALID')
      expect(wrongType.stderr()).toContain(`${file}:2:7: port:`)
      config('policy: policy.yaml\nprot: 8080\n')
      const unknown = spawnWrit(['serve', '--config', file])
      expect(await unknown.exited).toBe(2)
      expect(unknown.stderr()).toContain(`${file}:2:1: prot:`)
    }),
    60_000,
  )

  it(
    'refuses a config file others may write: FILE_UNSAFE, exit 3',
    withWorkspace(async () => {
      const file = config('policy: policy.yaml\n', 0o664)
      const refused = spawnWrit(['serve', '--config', file])
      expect(await refused.exited).toBe(3)
      expect(codeLine(refused.stderr())).toBe('FILE_UNSAFE')
    }),
    60_000,
  )

  it(
    'refuses a password in the config file, and reads the store URL from storeUrlFile',
    withWorkspace(async () => {
      const file = config('store: postgres://writ:hunter2@127.0.0.1/db\n')
      const refused = spawnWrit(['serve', '--config', file])
      expect(await refused.exited).toBe(2)
      expect(codeLine(refused.stderr())).toBe('CONFIG_INVALID')
      expect(refused.stderr()).toMatch(/storeUrlFile/)
      // A store URL file others can read is refused before anything connects.
      writeFileSync(ws.path('store-url'), 'postgres://writ:hunter2@127.0.0.1:1/db\n', {
        mode: 0o644,
      })
      chmodSync(ws.path('store-url'), 0o644)
      config('policy: policy.yaml\nkey: key.json\nagents: agents.json\nstoreUrlFile: store-url\n')
      const exposed = spawnWrit(['serve', '--config', file])
      expect(await exposed.exited).toBe(3)
      expect(codeLine(exposed.stderr())).toBe('FILE_UNSAFE')
    }),
    60_000,
  )
})
