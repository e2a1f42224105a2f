/**
 * A host that writes JSON-RPC lines by hand to `writ mcp proxy` over stdio, so a test
 * can send what no SDK would: duplicate keys, `__proto__`, lone surrogates, broken JSON.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

/** One JSON-RPC message the proxy wrote. */
export interface Answer {
  readonly id: string | number | null
  readonly result?: {
    isError?: boolean
    content: { type: string; text: string }[]
    _meta?: Record<string, unknown>
  }
  readonly error?: { code: number; message: string }
}

export class RawSession {
  readonly #waiting = new Map<string, (answer: Answer) => void>()
  readonly #early = new Map<string, Answer>()

  private constructor(readonly child: ChildProcess) {
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })
    lines.on('line', (line) => {
      const answer = JSON.parse(line) as Answer
      const key = JSON.stringify(answer.id)
      const waiter = this.#waiting.get(key)
      if (waiter === undefined) this.#early.set(key, answer)
      else {
        this.#waiting.delete(key)
        waiter(answer)
      }
    })
  }

  /** Starts `node args…` and initializes an MCP session by hand. */
  static async start(args: string[], env: Record<string, string>): Promise<RawSession> {
    const session = new RawSession(
      spawn(process.execPath, args, { env, stdio: ['pipe', 'pipe', 'ignore'] }),
    )
    session.write(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 'init',
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'raw', version: '1' },
        },
      }),
    )
    await session.answer('init')
    session.write('{"jsonrpc":"2.0","method":"notifications/initialized"}')
    return session
  }

  /** Writes one line as given. */
  write(line: string): void {
    this.child.stdin?.write(`${line}\n`)
  }

  /** A `tools/call` with `id` whose `params` is the raw JSON text given. */
  call(id: string, paramsText: string): Promise<Answer> {
    this.write(
      `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"method":"tools/call","params":${paramsText}}`,
    )
    return this.answer(id)
  }

  /** The answer with `id` (`null` for answers to messages whose id could not be read). */
  answer(id: string | null): Promise<Answer> {
    const key = JSON.stringify(id)
    const early = this.#early.get(key)
    if (early !== undefined) {
      this.#early.delete(key)
      return Promise.resolve(early)
    }
    return new Promise((resolve) => this.#waiting.set(key, resolve))
  }

  async close(): Promise<void> {
    this.child.stdin?.end()
    if (this.child.exitCode === null)
      await new Promise((resolve) => this.child.once('exit', resolve))
  }
}
