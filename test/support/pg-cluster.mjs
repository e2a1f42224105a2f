// A throwaway PostgreSQL cluster on 127.0.0.1, for tests and benchmarks alike: initdb
// into a temporary folder, pg_ctl start on a free port, and a stop/start handle so
// fault tests can take the database away mid-run. Runs the server as the `postgres`
// user when running as root (PostgreSQL refuses to run as root). fsync stays on: a
// benchmark of durable decisions must pay for durability. Types: pg-cluster.d.mts.
import { execFileSync } from 'node:child_process'
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs'
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

/** Runs a PostgreSQL program, as the `postgres` user when this process is root. */
function runner(bin, asRoot) {
  return (command, args) => {
    const full = join(bin, command)
    if (asRoot)
      return execFileSync('runuser', ['-u', 'postgres', '--', full, ...args], { stdio: 'pipe' })
    return execFileSync(full, args, { stdio: 'pipe' })
  }
}

/** The processes whose parent is `pid`, read from /proc. */
function childrenOf(pid) {
  const children = []
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue
    try {
      // The parent pid is the 4th field, after the command name in parentheses.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (parent === pid) children.push(Number(entry))
    } catch {
      // the process ended while we looked
    }
  }
  return children
}

/** Whether `pid` still runs (a zombie waiting for its parent does not). */
function alive(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

/** SIGKILL for the server and every backend, as a power cut would: no shutdown, no checkpoint. */
function killServer(data, socketLock) {
  const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0])
  const backends = childrenOf(pid)
  for (const each of [pid, ...backends]) {
    try {
      process.kill(each, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  // Wait until they are gone, so a restart finds the port and shared memory free.
  for (const each of [pid, ...backends]) {
    while (alive(each)) execFileSync('sleep', ['0.05'])
  }
  // A killed server leaves its lock files naming its pid; where nothing reaps the dead
  // (a container's init may not), that pid lingers as a zombie and PostgreSQL would
  // refuse to start over it. The server is gone: remove them, as an operator would.
  rmSync(join(data, 'postmaster.pid'), { force: true })
  rmSync(socketLock, { force: true })
}

function handOverToPostgres(root) {
  chmodSync(root, 0o755)
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim())
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim())
  chownSync(root, uid, gid)
}

/** Starts a cluster; see pg-cluster.d.mts for what it returns. */
export async function startPgCluster() {
  const bin = postgresBinDir()
  if (bin === undefined)
    throw new Error(
      'PostgreSQL server binaries not found under /usr/lib/postgresql (apt-get install postgresql)',
    )
  const root = mkdtempSync(join(tmpdir(), 'writ-pg-'))
  const data = join(root, 'data')
  const asRoot = userInfo().uid === 0
  const run = runner(bin, asRoot)
  if (asRoot) handOverToPostgres(root)
  run('initdb', ['-D', data, '-U', 'writ', '--auth=trust', '-E', 'UTF8', '--no-sync'])
  const port = await freePort()
  const options = `-p ${port} -k ${root} -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on -c max_connections=200`
  // -w: returns only once the server accepts connections.
  const start = () => {
    run('pg_ctl', ['-D', data, '-o', options, '-w', '-t', '30', '-l', join(root, 'log'), 'start'])
  }
  const stop = () => {
    run('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop'])
  }
  start()
  return {
    url: `postgres://writ@127.0.0.1:${port}/postgres`,
    port,
    version: run('postgres', ['--version']).toString().trim(),
    start,
    stop,
    kill: () => killServer(data, join(root, `.s.PGSQL.${port}.lock`)),
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

/**
 * Calls `attempt` until it resolves, at most `attempts` times in a row, with no pause
 * between: for the moment after a restart, when each pooled connection the restart
 * broke fails one call and is discarded. Rejects with the last failure.
 */
export async function firstAccepted(attempts, attempt) {
  let failure
  for (let index = 0; index < attempts; index++) {
    try {
      return await attempt()
    } catch (error) {
      failure = error
    }
  }
  throw failure
}
