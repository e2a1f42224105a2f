// The import cycle check that CI runs (scripts/check-import-cycles.mjs) finds a cycle,
// type-only imports included, and passes a folder without one.
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, it } from 'vitest'

const script = fileURLToPath(new URL('../../scripts/check-import-cycles.mjs', import.meta.url))
const folders: string[] = []

afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true })
})

/** A folder of TypeScript modules, `name → source`. */
function sources(files: Record<string, string>): string {
  const folder = mkdtempSync(join(tmpdir(), 'writ-cycles-'))
  folders.push(folder)
  for (const [name, text] of Object.entries(files)) writeFileSync(join(folder, name), text)
  return folder
}

function check(folder: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [script, folder], (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : Number(error.code), output: stdout + stderr })
    })
  })
}

describe('scripts/check-import-cycles.mjs', () => {
  it('fails on two modules that import each other, one of them for a type only', async () => {
    const folder = sources({
      'demo.ts':
        "import { serve } from './web-server.js'\nexport interface Demo { n: number }\nexport const run = () => serve({ n: 1 })\n",
      'web-server.ts':
        "import type { Demo } from './demo.js'\nexport const serve = (demo: Demo) => demo.n\n",
      'main.ts': "import { run } from './demo.js'\nrun()\n",
    })
    const result = await check(folder)
    expect(result.code).toBe(1)
    expect(result.output).toMatch(/\/demo\.ts → \S*\/web-server\.ts → \S*\/demo\.ts\n/)
    expect(result.output).toContain('1 import cycles')
  })

  it('passes when the shared types live in a third module', async () => {
    const folder = sources({
      'demo-types.ts': 'export interface Demo { n: number }\n',
      'demo.ts':
        "import { serve } from './web-server.js'\nexport const run = () => serve({ n: 1 })\n",
      'web-server.ts':
        "import type { Demo } from './demo-types.js'\nexport const serve = (demo: Demo) => demo.n\n",
    })
    const result = await check(folder)
    expect(result.code).toBe(0)
    expect(result.output).toContain('no import cycle in 1 source folders')
  })
})
