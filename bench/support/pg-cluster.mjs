// A throwaway PostgreSQL cluster on 127.0.0.1 for benchmarks, ported from
// test/support/pg-cluster.ts: initdb into a temporary folder, pg_ctl start on a free
// port (as the `postgres` user when running as root), destroy() removes everything.
// fsync stays on: a benchmark of durable decisions must pay for durability.
import { execFileSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'

/** The bin folder of the newest PostgreSQL server installed, or undefined. */
export function postgresBinDir() {
  const root = '/usr/lib/postgresql'
  if (!existsSync(root)) return undefined
  const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a))
  for (const version of versions) {
    const dir = join(root, version, 'bin')
    if (existsSync(join(dir, 'initdb'))) return dir
  }
  return undefined
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address()
      server.close(() => resolve(port))
    })
  })
}

/** Starts a cluster; returns `{ url, port, version, destroy() }`. */
export async function startPgCluster() {
  const bin = postgresBinDir()
  if (bin === undefined)
    throw new Error('PostgreSQL server binaries not found under /usr/lib/postgresql')
  const root = mkdtempSync(join(tmpdir(), 'writ-bench-pg-'))
  const data = join(root, 'data')
  const asRoot = userInfo().uid === 0
  const run = (command, args) => {
    const full = join(bin, command)
    if (asRoot)
      return execFileSync('runuser', ['-u', 'postgres', '--', full, ...args], { stdio: 'pipe' })
    return execFileSync(full, args, { stdio: 'pipe' })
  }
  if (asRoot) {
    chmodSync(root, 0o755)
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim())
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim())
    chownSync(root, uid, gid)
  }
  run('initdb', ['-D', data, '-U', 'writ', '--auth=trust', '-E', 'UTF8', '--no-sync'])
  const port = await freePort()
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c max_connections=200`
  run('pg_ctl', ['-D', data, '-o', options, '-w', '-t', '30', '-l', join(root, 'log'), 'start'])
  const version = run('postgres', ['--version']).toString().trim()
  return {
    url: `postgres://writ@127.0.0.1:${port}/postgres`,
    port,
    version,
    destroy() {
      try {
        run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])
      } catch {
        // already stopped
      }
      rmSync(root, { recursive: true, force: true })
    },
  }
}
