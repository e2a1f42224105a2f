// Every example is a program a developer copies from, so every example must run:
// this runs each `examples/*` `start` script against the built packages and checks it
// exits 0 and prints the line that shows its point. Each also needs a README.
import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { cleanEnvironment } from './support/clean-environment.js'

const execFileAsync = promisify(execFile)
const examplesDirectory = fileURLToPath(new URL('../examples/', import.meta.url))

/** The output line each known example prints when it did what it shows. */
const expectedOutput: Record<string, readonly RegExp[]> = Object.assign(Object.create(null), {
  approvals: [
    /^the bot verified the webhook: hold \S+, 20000 EUR, group finance$/m,
    /^after Bob's rejection: DENY APPROVAL_REJECTED$/m,
    /^OK: the held payment ran only on a PERMIT naming Alice’s approval; the rejected one stays refused\.$/m,
  ],
  'authority-service': [
    /^an agent that sends its own context is refused: CONTEXT_NOT_ACCEPTED$/m,
    /^OK: only the permitted transfer ran, verified with the public keys alone\.$/m,
  ],
  fetch: [
    /^executed exactly once: \[ \{ amount: 250, to: 'alice' \} \]$/m,
    /^no gate +→ 401 RECEIPT_MISSING$/m,
  ],
  'ai-sdk': [
    /^REFUSED call_bad: DENY SANCTIONED_PAYEE$/m,
    /^HELD call_big: SILENCE APPROVAL_REQUIRED, waiting for finance$/m,
    /^OK: only the permitted and the approved transfers ran; every decision has a signed receipt\.$/m,
  ],
  langchain: [/^REFUSED call_bad: DENY SANCTIONED_PAYEE$/m, /^receipts in chain \S+: 2$/m],
  mcp: [
    /^tools the model sees: \[ 'transfer' \]$/m,
    /^OK: only the permitted transfer reached the bank server; every answer carries its receipt\.$/m,
  ],
  openai: [/^OK: only the permitted payment ran; every decision has a signed receipt\.$/m],
  'openai-agents': [
    /^REFUSED call_bad: DENY SANCTIONED_PAYEE$/m,
    /^HELD call_big: SILENCE APPROVAL_REQUIRED, waiting for finance$/m,
    /^OK: only the permitted and the approved transfers ran; every decision has a signed receipt\.$/m,
  ],
  walkthrough: [
    /payments actually sent: 1 \(250 to acme-supplies\)/,
    /✓ 4 receipts, contiguous, head matches the signed checkpoint/,
    /✓ truncate the tail: detected as CHECKPOINT_MISMATCH/,
  ],
})

/** The oldest Node major an example's `engines.node` (`>=N`) accepts, 0 when it names none. */
function minimumNodeOf(name: string): number {
  const manifest = JSON.parse(readFileSync(join(examplesDirectory, name, 'package.json'), 'utf8'))
  return Number(/^>=\s*(\d+)/.exec(manifest.engines?.node ?? '')?.[1] ?? 0)
}

// An example whose `engines` asks for a newer Node than the one running this file is left
// out of the list (openai-agents needs 22+): it runs on CI's Node 24 lane, and no test is
// ever skipped.
const nodeMajor = Number(process.versions.node.split('.')[0])
const examples = readdirSync(examplesDirectory).filter(
  (name) =>
    existsSync(join(examplesDirectory, name, 'package.json')) && minimumNodeOf(name) <= nodeMajor,
)

describe('examples', () => {
  it('finds the examples', () => {
    expect(examples.length).toBeGreaterThan(0)
  })

  describe.each(examples)('examples/%s', (name) => {
    const directory = join(examplesDirectory, name)
    const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8')) as {
      private?: boolean
      scripts?: Record<string, string>
    }

    it('is private, has a start script and a README', () => {
      expect(manifest.private).toBe(true)
      expect(typeof manifest.scripts?.['start']).toBe('string')
      const readme = join(directory, 'README.md')
      expect(existsSync(readme), `${name}/README.md`).toBe(true)
      expect(statSync(readme).size).toBeGreaterThan(100)
    })

    it('runs to completion and prints what it shows', async () => {
      const { stdout } = await execFileAsync('npm', ['run', '--silent', 'start'], {
        cwd: directory,
        env: cleanEnvironment(),
        timeout: 60_000,
      })
      const expected = Object.hasOwn(expectedOutput, name) ? expectedOutput[name] : undefined
      if (expected === undefined) expect(stdout.trim()).not.toBe('')
      else for (const line of expected) expect(stdout).toMatch(line)
    }, 60_000)
  })
})
