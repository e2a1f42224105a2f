import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const writer = fileURLToPath(new URL('./fixtures/gate-writer.ts', import.meta.url))
const tsconfig = fileURLToPath(new URL('./fixtures/tsconfig.json', import.meta.url))

/** A running gate-writer child process and the lines it printed so far. */
export interface Writer {
  readonly child: ChildProcess
  /** jtis printed, each after its authorize resolved. */
  readonly jtis: string[]
  /** Resolves once the writer printed `ready`, or rejects if it exits first. */
  readonly ready: Promise<void>
  /** Resolves when it printed `count` jtis (or exited). */
  printed(count: number): Promise<void>
  /** Resolves with the exit code or signal once the process ended. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>
}

/** Starts the gate writer on `path` (see fixtures/gate-writer.ts). */
export function startWriter(options: {
  path: string
  chainId: string
  mode: 'plain' | 'group'
  count: number
  key: unknown
  limited?: boolean
}): Writer {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', writer, options.path, options.chainId, options.mode, String(options.count)],
    {
      env: {
        ...process.env,
        TSX_TSCONFIG_PATH: tsconfig,
        WRIT_TEST_KEY: JSON.stringify(options.key),
        WRIT_TEST_LIMITED: options.limited === true ? '1' : '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  const jtis: string[] = []
  let stderr = ''
  let buffer = ''
  let markReady: () => void = () => {}
  let failReady: (error: Error) => void = () => {}
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve
    failReady = reject
  })
  const waiters: { count: number; resolve: () => void }[] = []
  child.stdout?.setEncoding('utf8')
  child.stdout?.on('data', (chunk: string) => {
    buffer += chunk
    const lines = buffer.split('\n')
    buffer = lines.pop() ?? ''
    for (const line of lines) {
      if (line === 'ready') markReady()
      else if (line.length > 0) jtis.push(line)
    }
    for (const waiter of waiters) if (jtis.length >= waiter.count) waiter.resolve()
  })
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (chunk: string) => {
    stderr += chunk
  })
  const exited = new Promise<{
    code: number | null
    signal: NodeJS.Signals | null
    stderr: string
  }>((resolve) => {
    child.on('close', (code, signal) => {
      // A partial last line was never acknowledged: it is dropped on purpose.
      failReady(new Error(`writer exited before ready: ${stderr}`))
      for (const waiter of waiters) waiter.resolve()
      resolve({ code, signal, stderr })
    })
  })
  return {
    child,
    jtis,
    ready,
    exited,
    printed: (count) =>
      new Promise<void>((resolve) => {
        if (jtis.length >= count || child.exitCode !== null) resolve()
        else waiters.push({ count, resolve })
      }),
  }
}
