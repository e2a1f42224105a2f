/**
 * The parent's end of the token child process: one request at a time in flight per
 * child, each bounded by a timer or an abort signal. A request that runs out of time
 * kills the child (a token blocked inside a PKCS#11 call cannot be interrupted any other
 * way) and fails every request waiting on it.
 */
import { type ChildProcess, fork } from 'node:child_process'
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { WritError } from '@writ/core'
import type { TokenFailure, TokenRequest, TokenResponse } from './protocol.js'

type Ask = TokenRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never

interface Waiting {
  readonly resolve: (value: unknown) => void
  readonly reject: (error: WritError) => void
  readonly cleanup: () => void
}

/** The child's program: beside this module once built; from `dist` when run from the sources. */
function workerPath(): string {
  const here = fileURLToPath(import.meta.url)
  const built = join(dirname(here), 'token-worker.js')
  if (here.endsWith('.js') || existsSync(built)) return built
  return join(dirname(here), '..', 'dist', 'token-worker.js')
}

/** The error of a token that refused or stopped answering. */
export function tokenError(
  kid: string,
  reason: TokenFailure | 'timeout' | 'exited',
  pkcs11Code?: number,
): WritError {
  return new WritError(
    'SIGNER_UNAVAILABLE',
    `The PKCS#11 token did not sign (${reason}); the action must not run.`,
    {
      details: { kid, reason, ...(pkcs11Code === undefined ? {} : { pkcs11Code }) },
    },
  )
}

/** One child process with a PKCS#11 session. */
export class TokenProcess {
  readonly #child: ChildProcess
  readonly #waiting = new Map<number, Waiting>()
  readonly #kid: () => string
  #nextId = 1
  #dead = false

  constructor(kid: () => string) {
    this.#kid = kid
    this.#child = fork(workerPath(), [], {
      serialization: 'advanced',
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      // Only what the module needs: the PIN travels over IPC, never in the environment.
      env: pkcs11Environment(),
    })
    this.#child.on('message', (message: TokenResponse) => this.#answer(message))
    this.#child.on('exit', () => this.#fail('exited'))
    this.#child.on('error', () => this.#fail('exited'))
    // The session alone does not keep the process alive; a request in flight has its timer.
    this.#child.unref()
    this.#channel()?.unref()
  }

  #channel(): { unref(): void } | undefined {
    return (this.#child as unknown as { channel?: { unref(): void } }).channel ?? undefined
  }

  /** The child's process id (for operators, and for tests that stop it). */
  get pid(): number | undefined {
    return this.#child.pid
  }

  get dead(): boolean {
    return this.#dead
  }

  /** Sends `ask` and waits at most `timeoutMs`, or until `signal` aborts; then kills the child. */
  call(ask: Ask, timeoutMs: number, signal?: AbortSignal): Promise<unknown> {
    if (this.#dead) return Promise.reject(tokenError(this.#kid(), 'exited'))
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      const expire = () => this.kill('timeout')
      const timer = setTimeout(expire, timeoutMs)
      signal?.addEventListener('abort', expire, { once: true })
      const cleanup = () => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', expire)
      }
      this.#waiting.set(id, { resolve, reject, cleanup })
      this.#child.send({ ...ask, id } as TokenRequest)
    })
  }

  /** Kills the child; every request still waiting fails with `reason`. */
  kill(reason: 'timeout' | 'exited' = 'exited'): void {
    this.#fail(reason)
    if (this.#child.exitCode === null && this.#child.signalCode === null)
      this.#child.kill('SIGKILL')
  }

  #answer(message: TokenResponse): void {
    const waiting = this.#waiting.get(message.id)
    if (waiting === undefined) return
    this.#waiting.delete(message.id)
    waiting.cleanup()
    if (message.ok) waiting.resolve(message.value)
    else waiting.reject(tokenError(this.#kid(), message.reason, message.pkcs11Code))
  }

  #fail(reason: 'timeout' | 'exited'): void {
    this.#dead = true
    for (const [id, waiting] of this.#waiting) {
      this.#waiting.delete(id)
      waiting.cleanup()
      waiting.reject(tokenError(this.#kid(), reason))
    }
  }
}

/** The environment the child gets: the parent's, minus anything that looks like a PIN or secret. */
function pkcs11Environment(): NodeJS.ProcessEnv {
  const environment: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) {
    if (!/PIN|SECRET|TOKEN|PASSWORD|KEY/i.test(name)) environment[name] = value
  }
  return environment
}
