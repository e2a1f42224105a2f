import { once } from 'node:events'
import type { Readable, Writable } from 'node:stream'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import type { CallToolResult, JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'
import { MAX_MESSAGE_BYTES, type Screened, screenMessage } from './screen-message.js'

/** Answers a `tools/call` the screen refused to hand to the server. */
export type UnreadableCallHandler = (
  call: Extract<Screened, { kind: 'unreadable-call' }>,
) => Promise<CallToolResult>

/**
 * The MCP stdio transport (newline-delimited JSON-RPC) for the proxy's host side, with
 * every line read by {@link screenMessage} before the server sees it. A line longer than
 * {@link MAX_MESSAGE_BYTES} is dropped whole and answered with a parse error.
 */
export class ScreenedStdioTransport implements Transport {
  onclose?: (() => void) | undefined
  onerror?: ((error: Error) => void) | undefined
  onmessage?: ((message: JSONRPCMessage) => void) | undefined
  #pending: Buffer[] = []
  #size = 0
  #overflow = false
  #closed = false

  constructor(
    private readonly unreadable: UnreadableCallHandler,
    private readonly input: Readable = process.stdin,
    private readonly output: Writable = process.stdout,
  ) {}

  async start(): Promise<void> {
    this.input.on('data', this.#onData)
    this.input.on('error', this.#onError)
    this.input.on('end', this.#onEnd)
  }

  async send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) return
    if (!this.output.write(`${JSON.stringify(message)}\n`)) await once(this.output, 'drain')
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.input.off('data', this.#onData)
    this.input.off('error', this.#onError)
    this.input.off('end', this.#onEnd)
    this.input.pause()
    this.onclose?.()
  }

  #onError = (error: Error) => this.onerror?.(error)
  #onEnd = () => void this.close()

  #onData = (chunk: Buffer) => {
    let start = 0
    for (let end = chunk.indexOf(10); end !== -1; end = chunk.indexOf(10, start)) {
      this.#take(chunk.subarray(start, end))
      const line = Buffer.concat(this.#pending).toString('utf8').replace(/\r$/, '')
      const overflow = this.#overflow
      this.#pending = []
      this.#size = 0
      this.#overflow = false
      if (overflow)
        void this.#answer({
          kind: 'error',
          id: null,
          code: -32700,
          message: 'Parse error (message too large)',
        })
      else if (line.trim() !== '') void this.#answer(screenMessage(line))
      start = end + 1
    }
    this.#take(chunk.subarray(start))
  }

  #take(part: Buffer): void {
    if (this.#overflow) return
    this.#size += part.length
    if (this.#size > MAX_MESSAGE_BYTES) {
      this.#overflow = true
      this.#pending = []
    } else this.#pending.push(part)
  }

  async #answer(screened: Screened): Promise<void> {
    try {
      if (screened.kind === 'message') this.onmessage?.(screened.message)
      else if (screened.kind === 'error')
        await this.send({
          jsonrpc: '2.0',
          id: screened.id,
          error: { code: screened.code, message: screened.message },
        } as unknown as JSONRPCMessage)
      else if (screened.kind === 'unreadable-call')
        await this.send({
          jsonrpc: '2.0',
          id: screened.id,
          result: await this.unreadable(screened),
        })
    } catch (error) {
      this.onerror?.(error instanceof Error ? error : new Error(String(error)))
    }
  }
}
