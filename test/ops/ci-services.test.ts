// .ci/run starts a PostgreSQL cluster through .ci/services.sh: when the run ends, that
// cluster must be gone too, port closed and folder removed, or every CI run leaves a
// database server behind on the machine.
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { connect } from 'node:net'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
// @ts-expect-error: a plain ESM helper without declarations
import { postgresBinDir } from '../support/pg-cluster.mjs'

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url))

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

describe.runIf((postgresBinDir as () => string | undefined)() !== undefined)(
  '.ci/services.sh',
  () => {
    it('stops the cluster it started when the shell that sourced it exits', async () => {
      const output = execFileSync(
        'bash',
        ['-c', 'source .ci/services.sh >/dev/null && echo "$pg_port $pg_root"'],
        { cwd: repositoryRoot, encoding: 'utf8', timeout: 90_000 },
      )
      const [port, root] = output.trim().split(' ')
      expect(Number(port)).toBeGreaterThan(0)
      expect(await accepts(Number(port))).toBe(false)
      expect(existsSync(String(root))).toBe(false)
    }, 120_000)
  },
)
