// The quick start of each adapter's README, exactly as printed: it type-checks in a
// strict project against the built packages, and the one that needs no network runs.
// (The LangChain quick start once read `message.status` off a union and named a tool
// `payments.transfer`, which OpenAI refuses; the OpenAI one mapped names with
// `replace('_', '.')`, which replaces only the first underscore.)
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const run = promisify(execFile)
const root = fileURLToPath(new URL('../..', import.meta.url))
const readmes = ['openai', 'langchain', 'mcp', 'ai-sdk', 'openai-agents'] as const
let directory = ''

/** The first TypeScript block under "## Quick start". */
function quickStart(name: string): string {
  const text = readFileSync(join(root, 'packages', name, 'README.md'), 'utf8')
  const section = text.slice(text.indexOf('## Quick start'))
  const block = /```ts\n([\s\S]*?)```/.exec(section)
  if (block === null) throw new Error(`packages/${name}/README.md has no quick start block`)
  return block[1]!
}

beforeAll(() => {
  // Inside the repository, so the workspace's node_modules resolve the packages.
  directory = mkdtempSync(join(root, 'test', 'packaging', '.readme-quick-start-'))
  writeFileSync(join(directory, 'package.json'), '{ "type": "module", "private": true }\n')
  for (const name of readmes) writeFileSync(join(directory, `${name}.ts`), quickStart(name))
  writeFileSync(
    join(directory, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2023', 'DOM'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        exactOptionalPropertyTypes: true,
        noUncheckedIndexedAccess: true,
        skipLibCheck: true,
        noEmit: true,
        types: ['node'],
      },
      files: readmes.map((name) => `${name}.ts`),
    }),
  )
})
afterAll(() => {
  if (directory !== '') rmSync(directory, { recursive: true, force: true })
})

describe('README quick starts', () => {
  it('type-check in a strict project', async () => {
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
    const result = await run(process.execPath, [tsc, '-p', directory], { cwd: directory }).catch(
      (error: { stdout?: string }) => ({ stdout: error.stdout ?? 'tsc failed' }),
    )
    expect(result.stdout).toBe('')
  }, 120_000)

  it('name tools without dots, as OpenAI requires', () => {
    for (const name of readmes)
      expect(quickStart(name).match(/name: '[^']*\.[^']*'/g) ?? [], name).toEqual([])
  })

  it('LangChain: runs, the permitted call succeeds and the other is refused', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', join(directory, 'langchain.ts')],
      {
        cwd: root,
        timeout: 60_000,
      },
    )
    expect(stdout).toContain('success Sent 250 to alice.')
    expect(stdout).toMatch(/error \{"writ":"refused","decision":"SILENCE"/)
  }, 90_000)

  it('AI SDK: runs, the permitted call succeeds and the other is refused', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', join(directory, 'ai-sdk.ts')],
      { cwd: root, timeout: 60_000 },
    )
    expect(stdout).toContain('call_1 "Sent 250 to alice."')
    expect(stdout).toMatch(/call_2 \{"writ":"refused","decision":"SILENCE"/)
  }, 90_000)
})
