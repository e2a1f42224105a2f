/**
 * The log level of `writ serve`: `--log-level`, else `WRIT_LOG_LEVEL`, else `info`; an
 * unknown level is a usage error before anything starts.
 */
import * as server from '@writ/server'
import { describe, expect, it } from 'vitest'
import { CliError } from '../src/cli-error.js'
import type { CliIo } from '../src/io.js'
import { serveLogger } from '../src/serve-logger.js'
import { type Workspace, workspace } from './helpers.js'

function capture(env: Record<string, string> = {}) {
  const out: string[] = []
  const io: CliIo = { stdout: (text) => out.push(text), stderr: () => {}, cwd: '/', env }
  const lines = () =>
    out
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>)
  return { io, lines }
}

const input = (values: Record<string, string>) => ({ values, positionals: [] })

describe('writ serve --log-level', () => {
  it('defaults to info, writing JSON lines through stdout', () => {
    const { io, lines } = capture()
    const logger = serveLogger(input({}), io, server)
    logger.debug({ event: 'hidden' }, 'not written')
    logger.info({ event: 'shown' }, 'written')
    expect(lines()).toMatchObject([{ level: 'info', event: 'shown', msg: 'written' }])
  })

  it('takes WRIT_LOG_LEVEL, and the flag over it', () => {
    const fromEnv = capture({ WRIT_LOG_LEVEL: 'debug' })
    serveLogger(input({}), fromEnv.io, server).debug({ event: 'probe' }, 'debug line')
    expect(fromEnv.lines()).toMatchObject([{ level: 'debug', event: 'probe' }])
    const fromFlag = capture({ WRIT_LOG_LEVEL: 'debug' })
    serveLogger(input({ 'log-level': 'warn' }), fromFlag.io, server).info(
      { event: 'quiet' },
      'info line',
    )
    expect(fromFlag.lines()).toEqual([])
  })

  it('refuses an unknown level as a usage error', async () => {
    expect(() => serveLogger(input({ 'log-level': 'loud' }), capture().io, server)).toThrow(
      CliError,
    )
    try {
      serveLogger(input({}), capture({ WRIT_LOG_LEVEL: 'verbose' }).io, server)
      expect.unreachable()
    } catch (error) {
      expect((error as CliError).code).toBe('USAGE')
    }
    let ws: Workspace | undefined
    try {
      ws = workspace()
      const result = await ws.writ('serve', '--log-level', 'loud')
      expect(result.code).toBe(2)
      expect(result.stderr).toMatch(/^writ: USAGE:/)
      expect(result.stdout).toBe('')
    } finally {
      ws?.remove()
    }
  })
})
