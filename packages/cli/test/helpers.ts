import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { perTest } from '../../../test/support/per-test.js'
import { type CliIo, run } from '../src/index.js'

/** What one in-process run of `writ` printed and returned. */
export interface RunResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** A temporary directory used as the working directory of in-process runs. */
export interface Workspace {
  readonly dir: string
  path(name: string): string
  write(name: string, text: string, mode?: number): string
  writ(...argv: string[]): Promise<RunResult>
  /** Runs `writ` in-process with `env` as its environment. */
  writWith(env: Record<string, string>, ...argv: string[]): Promise<RunResult>
  remove(): void
}

async function runIn(
  cwd: string,
  env: Record<string, string> | undefined,
  argv: readonly string[],
): Promise<RunResult> {
  let stdout = ''
  let stderr = ''
  const io: CliIo = {
    stdout: (text) => {
      stdout += text
    },
    stderr: (text) => {
      stderr += text
    },
    cwd,
    ...(env === undefined ? {} : { env }),
  }
  const code = await run([...argv], io)
  return { code, stdout, stderr }
}

/** Creates a fresh temporary workspace. */
export function workspace(): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'writ-cli-'))
  return {
    dir,
    path: (name) => join(dir, name),
    write(name, text, mode) {
      const path = join(dir, name)
      writeFileSync(path, text, mode === undefined ? undefined : { mode })
      return path
    },
    writ: (...argv) => runIn(dir, undefined, argv),
    writWith: (env, ...argv) => runIn(dir, env, argv),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  }
}

/**
 * A fresh workspace for each test of the file: made by `create` before each test and
 * removed after it. The object returned stands for the current test's workspace.
 */
export function useWorkspace(create: () => Workspace | Promise<Workspace> = workspace): Workspace {
  const active = perTest(create, (ws) => ws.remove())
  return {
    get dir() {
      return active().dir
    },
    path: (name) => active().path(name),
    write: (name, text, mode) => active().write(name, text, mode),
    writ: (...argv) => active().writ(...argv),
    writWith: (env, ...argv) => active().writWith(env, ...argv),
    remove: () => active().remove(),
  }
}

/** A run of `writ … --json`, with its standard output parsed. */
export type JsonRunResult = RunResult & { readonly output: ReturnType<typeof JSON.parse> }

/** Runs `writ` with `argv` then `--json`, and parses what it printed (undefined if nothing). */
export async function writJson(ws: Workspace, ...argv: string[]): Promise<JsonRunResult> {
  const result = await ws.writ(...argv, '--json')
  return { ...result, output: result.stdout === '' ? undefined : JSON.parse(result.stdout) }
}

/** `writ chain verify --json` over `receipts.db` with the public keys in `keys.json`. */
export async function chainVerify(ws: Workspace, ...extra: string[]) {
  const { output, ...result } = await writJson(
    ws,
    ...['chain', 'verify', '--store', 'receipts.db', '--keys', 'keys.json'],
    ...extra,
  )
  return { ...result, report: output }
}

/** Runs one SQL statement on the workspace's `receipts.db`, as an operator editing the file. */
export function runSql(ws: Workspace, statement: string, ...parameters: unknown[]): void {
  const database = new Database(ws.path('receipts.db'))
  try {
    database.prepare(statement).run(...parameters)
  } finally {
    database.close()
  }
}

/**
 * The compact token with its claims changed by `edit` and its header and signature kept:
 * what a forger who cannot sign would send.
 */
export function withEditedClaims(token: string, edit: (claims: Record<string, unknown>) => void) {
  const [header, claims, signature] = token.split('.') as [string, string, string]
  const decoded = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8'))
  edit(decoded)
  return [header, Buffer.from(JSON.stringify(decoded)).toString('base64url'), signature].join('.')
}

/** The argv of `writ policy explain policy.yaml` for `action` with `args` (JSON text), then `extra`. */
export function explainArgv(action: string, args: string, ...extra: string[]): string[] {
  return ['policy', 'explain', 'policy.yaml', '--action', action, '--args', args, ...extra]
}

/** A small payments policy used across the tests. */
export const PAYMENTS_POLICY = `writ: 1
id: payments-test
rules:
  - id: small-transfers
    effect: permit
    actions: [payments.transfer]
    when: args.amount <= 1000
  - id: sanctioned
    effect: deny
    actions: [payments.*]
    when: args.to == 'mallory'
    reason: SANCTIONED_PAYEE
`

/**
 * A workspace holding `policy.yaml` (the payments policy) and a signing key in
 * `signing.jwk`; unless `keys` is false, its public key set in `keys.json` too.
 */
export async function signingWorkspace(
  options: { readonly keys?: boolean } = {},
): Promise<Workspace> {
  const ws = workspace()
  ws.write('policy.yaml', PAYMENTS_POLICY)
  const keygen = await ws.writ('keygen', '--out', 'signing.jwk')
  if (keygen.code !== 0) throw new Error(`keygen failed: ${keygen.stderr}`)
  if (options.keys !== false)
    ws.write('keys.json', (await ws.writ('keys', 'export', '--key', 'signing.jwk')).stdout)
  return ws
}

/**
 * The argv of `writ decide` for a `payments.transfer` with `args` (JSON text, or an
 * object to serialize), by the key in `signing.jwk` under `policy.yaml`, then `extra`.
 */
export function decideArgv(args: string | object, ...extra: string[]): string[] {
  return decideArgvWith({}, args, ...extra)
}

/** {@link decideArgv} with another policy file, key file or action. */
export function decideArgvWith(
  files: { readonly policy?: string; readonly key?: string; readonly action?: string },
  args: string | object,
  ...extra: string[]
): string[] {
  return [
    'decide',
    '--policy',
    files.policy ?? 'policy.yaml',
    '--key',
    files.key ?? 'signing.jwk',
    '--action',
    files.action ?? 'payments.transfer',
    '--args',
    typeof args === 'string' ? args : JSON.stringify(args),
    ...extra,
  ]
}
