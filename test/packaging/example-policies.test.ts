// Policies users copy from the docs and examples bound amounts on both sides: a rule
// `args.amount <= 1000` alone also permits a transfer of -1000000, which moves money the
// other way. Every condition with an upper bound on an amount also has a lower one.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const root = fileURLToPath(new URL('../..', import.meta.url))

/** Files users copy policies from: docs, READMEs, examples and the demo. */
function sources(): string[] {
  const listed = execFileSync(
    'git',
    ['ls-files', '--cached', '--others', '--exclude-standard', '*.md', '*.mjs', '*.yaml', '*.ts'],
    { cwd: root, encoding: 'utf8' },
  )
  return listed
    .split('\n')
    .filter(
      (path) => path !== '' && !path.includes('node_modules') && !path.startsWith('.changeset/'),
    )
    .filter((path) =>
      /^(README\.md|docs\/|examples\/|apps\/demo\/|packages\/[^/]+\/README\.md|test\/packaging\/programs\/)/.test(
        path,
      ),
    )
}

describe('example policies', () => {
  it('bound every amount from below where they bound it from above', () => {
    const unbounded: string[] = []
    for (const path of sources()) {
      const lines = readFileSync(join(root, path), 'utf8').split('\n')
      lines.forEach((line, index) => {
        const upper = /(args(?:\.body)?\.amount)\s*<=?\s*\d/.exec(line)
        // A policy condition: a `when:` line, or a continuation line of a folded one.
        if (upper === null || !/\bwhen:|^\s+args\./.test(line)) return
        const field = upper[1]!.replaceAll('.', '\\.')
        const condition = [line, lines[index - 1] ?? '', lines[index + 1] ?? ''].join(' ')
        if (!new RegExp(`${field}\\s*(>|>=)\\s*\\d`).test(condition))
          unbounded.push(`${path}:${index + 1}: ${line.trim()}`)
      })
    }
    expect(unbounded).toEqual([])
  })
})
