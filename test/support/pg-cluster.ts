/**
 * Starts a throwaway PostgreSQL cluster on 127.0.0.1 for tests: initdb into a
 * temporary folder, pg_ctl start on a free port, and a stop/start handle so fault
 * tests can take the database away mid-run. Runs the server as the `postgres` user
 * when the tests run as root (PostgreSQL refuses to run as root).
 */
import { execFileSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'

export interface PgCluster {
  readonly url: string
  readonly port: number
  stop(): void
  start(): void
  destroy(): void
}

function binDir(): string {
  const root = '/usr/lib/postgresql'
  if (existsSync(root)) {
    const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a))
    for (const version of versions) {
      const dir = join(root, version, 'bin')
      if (existsSync(join(dir, 'initdb'))) return dir
    }
  }
  throw new Error(
    'PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)',
  )
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

export async function startPgCluster(): Promise<PgCluster> {
  const bin = binDir()
  const root = mkdtempSync(join(tmpdir(), 'writ-pg-'))
  const data = join(root, 'data')
  const asRoot = userInfo().uid === 0
  const run = (command: string, args: string[]) => {
    const full = join(bin, command)
    if (asRoot) execFileSync('runuser', ['-u', 'postgres', '--', full, ...args], { stdio: 'pipe' })
    else execFileSync(full, args, { stdio: 'pipe' })
  }
  if (asRoot) {
    chmodSync(root, 0o755)
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim())
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim())
    chownSync(root, uid, gid)
  }
  run('initdb', ['-D', data, '-U', 'writ', '--auth=trust', '-E', 'UTF8', '--no-sync'])
  const port = await freePort()
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=on -c max_connections=200`
  const start = () =>
    run('pg_ctl', ['-D', data, '-o', options, '-w', '-t', '30', '-l', join(root, 'log'), 'start'])
  const stop = () => run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])
  start()
  return {
    url: `postgres://writ@127.0.0.1:${port}/postgres`,
    port,
    start,
    stop,
    destroy() {
      try {
        stop()
      } catch {
        // already stopped
      }
      rmSync(root, { recursive: true, force: true })
    },
  }
}
