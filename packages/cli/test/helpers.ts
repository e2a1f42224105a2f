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
  remove(): void
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
    async writ(...argv) {
      let stdout = ''
      let stderr = ''
      const io: CliIo = {
        stdout: (text) => {
          stdout += text
        },
        stderr: (text) => {
          stderr += text
        },
        cwd: dir,
      }
      const code = await run(argv, io)
      return { code, stdout, stderr }
    },
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
