import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
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
