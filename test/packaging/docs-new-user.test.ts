// A new user's run of docs/getting-started.md and docs/cli.md: every shell block runs
// exactly as printed, in order, in a fresh folder (`npx writ` resolves the workspace's
// bin; for cli.md, which assumes a global install, `writ` is the same bin on PATH). A
// YAML block marked `<!-- docs-test: file NAME -->` is written to NAME first. A block
// that cannot run here says so on the line before it: `<!-- docs-test: skip (why) -->`;
// a shell or TypeScript block with neither mark fails the test, so no block is silently
// left out. Build first (`npm run build`).
import { execFile } from 'node:child_process'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))

interface Block {
  readonly language: string
  readonly text: string
  readonly line: number
  readonly mark: { readonly kind: 'skip' | 'file'; readonly value: string } | undefined
}

/** The fenced blocks of a Markdown file, each with the docs-test mark on the line before it. */
function blocks(path: string): Block[] {
  const lines = readFileSync(join(root, path), 'utf8').split('\n')
  const found: Block[] = []
  for (let index = 0; index < lines.length; index++) {
    const fence = /^```(\w*)\s*$/.exec(lines[index]!)
    if (fence === null) continue
    const end = lines.findIndex((line, at) => at > index && line.startsWith('```'))
    const mark = /^<!-- docs-test: (skip|file) (.*?) -->$/.exec(lines[index - 1] ?? '')
    found.push({
      language: fence[1] ?? '',
      text: lines.slice(index + 1, end).join('\n'),
      line: index + 1,
      mark: mark === null ? undefined : { kind: mark[1] as 'skip' | 'file', value: mark[2]! },
    })
    index = end
  }
  return found
}

let work = ''
let shims = ''

beforeAll(() => {
  if (!existsSync(join(root, 'packages', 'cli', 'dist', 'bin.js')))
    throw new Error('@writ/cli is not built: run "npm run build" first')
  // Under the repository, so `npx writ` finds the workspace's bin as in a clone.
  mkdirSync(join(root, 'test-output'), { recursive: true })
  work = mkdtempSync(join(root, 'test-output', 'new-user-'))
  shims = join(work, 'bin')
  mkdirSync(shims)
  writeFileSync(
    join(shims, 'writ'),
    `#!/bin/sh\nexec "${process.execPath}" "${join(root, 'packages', 'cli', 'bin', 'writ.js')}" "$@"\n`,
  )
  chmodSync(join(shims, 'writ'), 0o755)
})

afterAll(() => {
  if (work !== '') rmSync(work, { recursive: true, force: true })
})

/** Runs a guide's blocks in `folder`; returns the output of each shell block. */
async function follow(path: string, folder: string): Promise<string[]> {
  const outputs: string[] = []
  for (const block of blocks(path)) {
    const where = `${path}:${block.line}`
    if (block.mark?.kind === 'skip') continue
    if (block.mark?.kind === 'file') {
      writeFileSync(join(folder, block.mark.value), `${block.text}\n`)
      continue
    }
    if (block.language === 'ts')
      throw new Error(`${where}: a TypeScript block neither run nor marked skip`)
    if (block.language !== 'sh') continue
    const result = await run('bash', ['-euo', 'pipefail', '-c', block.text], {
      cwd: folder,
      env: { ...process.env, PATH: `${shims}:${process.env['PATH'] ?? ''}`, NO_COLOR: '1' },
      timeout: 120_000,
    }).catch((error: { stdout?: string; stderr?: string; code?: number }) => {
      throw new Error(
        `${where} failed (exit ${error.code}):\n${error.stderr ?? ''}${error.stdout ?? ''}`,
      )
    })
    outputs.push(result.stdout)
  }
  return outputs
}

describe('a new user follows the docs as printed', () => {
  it('docs/getting-started.md: keys, policy, cases, decide, verify, checkpoint, chain verify', async () => {
    const folder = join(work, 'getting-started')
    mkdirSync(folder)
    const outputs = await follow('docs/getting-started.md', folder)
    expect(outputs.length).toBeGreaterThanOrEqual(3)
    expect(existsSync(join(folder, 'checkpoint.jwt'))).toBe(true)
    expect(outputs.join('\n')).toMatch(/3 cases?: 3 passed, 0 failed|3 passed/)
  }, 240_000)

  it("docs/cli.md: the example session, with getting-started's policy and cases", async () => {
    const folder = join(work, 'cli')
    mkdirSync(folder)
    for (const block of blocks('docs/getting-started.md'))
      if (block.mark?.kind === 'file')
        writeFileSync(join(folder, block.mark.value), `${block.text}\n`)
    await follow('docs/cli.md', folder)
    expect(existsSync(join(folder, 'checkpoint.jwt'))).toBe(true)
  }, 240_000)
})
