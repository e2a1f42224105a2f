/**
 * Real `writ serve` processes for the operations tests: a private workspace with a
 * policy, a key, an agents file and a token; spawn, wait for explicit output events.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generateSigningKey } from '@writ/core'
import { hashToken } from '@writ/server'
import { afterAll, beforeAll } from 'vitest'

export const root = fileURLToPath(new URL('../../', import.meta.url))
export const bin = join(root, 'packages/cli/dist/bin.js')

/** Builds the CLI when its dist is missing. */
export function ensureBuilt(): void {
  if (!existsSync(bin))
    execFileSync(
      'npx',
      ['turbo', 'run', 'build', '--filter=@writ/cli...', '--output-logs=errors-only'],
      { cwd: root, stdio: 'inherit' },
    )
}

export const POLICY = `writ: 1
id: ops
rules:
  - id: payments
    effect: permit
    actions: [payments.transfer]
`

/** What {@link opsFile} gives a test file: its shared workspace, when it asked for one. */
export interface OpsFile {
  readonly ws: OpsWorkspace
}

/**
 * Sets up a test file of this folder: builds the CLI once before it, and afterwards
 * kills every process it started (and removes its shared workspace, if `workspace`).
 */
export function opsFile(options: { readonly workspace?: boolean } = {}): OpsFile {
  let shared: OpsWorkspace | undefined
  beforeAll(() => {
    ensureBuilt()
    if (options.workspace === true) shared = opsWorkspace()
  }, 300_000)
  afterAll(() => {
    killAll()
    shared?.remove()
  })
  return {
    get ws() {
      if (shared === undefined) throw new Error('this test file has no shared workspace')
      return shared
    },
  }
}

/** A private directory holding everything `writ serve` needs. */
export interface OpsWorkspace {
  readonly dir: string
  readonly token: string
  path(name: string): string
  /** The usual serve flags (policy, key, agents) plus an SQLite store `store` in `dir`. */
  serveArgs(store?: string): string[]
  remove(): void
}

export function opsWorkspace(): OpsWorkspace {
  const dir = mkdtempSync(join(tmpdir(), 'writ-ops-'))
  chmodSync(dir, 0o700)
  const token = `writ_ops_${Math.random().toString(36).slice(2)}0123456789`
  writeFileSync(join(dir, 'policy.yaml'), POLICY, { mode: 0o644 })
  writeFileSync(join(dir, 'key.json'), JSON.stringify(generateSigningKey()), { mode: 0o600 })
  writeFileSync(
    join(dir, 'agents.json'),
    JSON.stringify({ agents: [{ agent: 'agent:payer', tokenSha256: hashToken(token) }] }),
    { mode: 0o644 },
  )
  return {
    dir,
    token,
    path: (name) => join(dir, name),
    serveArgs: (store = 'writ.db') => [
      'serve',
      '--policy',
      join(dir, 'policy.yaml'),
      '--key',
      join(dir, 'key.json'),
      '--agents',
      join(dir, 'agents.json'),
      '--store',
      join(dir, store),
      '--port',
      '0',
      '--max-in-flight',
      '1024',
      '--rate',
      '100000',
      '--burst',
      '100000',
    ],
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}

/** A running (or finished) `writ` process and what it printed so far. */
export interface WritProcess {
  readonly child: ChildProcess
  readonly stdout: () => string
  readonly stderr: () => string
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>
  /** Resolves once the output (stdout + stderr) matches `pattern`. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>
  /** Every JSON object printed one a line, on either stream. */
  events(): Record<string, unknown>[]
}

const running: ChildProcess[] = []

export function spawnWrit(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): WritProcess {
  const child = spawn(process.execPath, [bin, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: options.cwd ?? root,
    env: { PATH: process.env['PATH'] ?? '', ...options.env },
  })
  running.push(child)
  let out = ''
  let err = ''
  const waiters: { pattern: RegExp; resolve: (m: RegExpExecArray) => void }[] = []
  const check = () => {
    for (const waiter of [...waiters]) {
      const match = waiter.pattern.exec(out + err)
      if (match) {
        waiters.splice(waiters.indexOf(waiter), 1)
        waiter.resolve(match)
      }
    }
  }
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString()
    check()
  })
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString()
    check()
  })
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve))
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(pattern) {
      return new Promise((resolve, reject) => {
        waiters.push({ pattern, resolve })
        check()
        void exited.then(() => {
          const match = pattern.exec(out + err)
          if (match) resolve(match)
          else reject(new Error(`writ exited before ${pattern}: ${out}${err}`))
        })
      })
    },
    events() {
      return (out + err)
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => {
          try {
            return JSON.parse(line) as Record<string, unknown>
          } catch {
            return {}
          }
        })
    },
  }
}

/** Starts `writ serve` and resolves with its URL once it is serving. */
export async function startServe(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<WritProcess & { url: string }> {
  const process = spawnWrit(args, options)
  const match = await process.waitFor(/serving on (http:\/\/[^\s]+)/)
  return Object.assign(process, { url: match[1] as string })
}

/** Runs `writ` to completion. */
export function runWrit(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd: options.cwd ?? root, env: { PATH: process.env['PATH'] ?? '', ...options.env } },
      (error, stdout, stderr) => {
        resolve({
          code: error ? ((error as { code?: number }).code ?? 1) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        })
      },
    )
  })
}

/** Kills every process still running (after a failed test). */
export function killAll(): void {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL')
}

/** One decision over HTTP; resolves with the status and the parsed body. */
export async function decide(
  url: string,
  token: string,
  amount = 1,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${url}/v1/decisions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ action: 'payments.transfer', args: JSON.stringify({ amount }) }),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}
