// Relative links in the docs and in every README (each published package ships its
// README) must point at files that exist, and at headings that exist when they name
// one. A renamed file or section otherwise leaves users at a dead end.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const repositoryRoot = fileURLToPath(new URL('../..', import.meta.url))

function markdownFiles(): string[] {
  const files = [join(repositoryRoot, 'README.md'), join(repositoryRoot, 'CONTRIBUTING.md')]
  const docs = join(repositoryRoot, 'docs')
  for (const name of readdirSync(docs)) if (name.endsWith('.md')) files.push(join(docs, name))
  for (const parent of ['packages', 'examples']) {
    for (const name of readdirSync(join(repositoryRoot, parent))) {
      const readme = join(repositoryRoot, parent, name, 'README.md')
      if (existsSync(readme)) files.push(readme)
    }
  }
  return files
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>()
  let fenced = false
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced
    const heading = fenced ? null : /^#{1,6}\s+(.*)$/.exec(line)
    if (heading?.[1] === undefined) continue
    anchors.add(
      heading[1]
        .trim()
        .toLowerCase()
        .replace(/[^\p{Letter}\p{Number}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    )
  }
  return anchors
}

/** Markdown links outside code blocks and inline code. */
function linksOf(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '')
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1] ?? '')
}

describe('links in the docs and READMEs', () => {
  const files = markdownFiles()

  it('finds the docs', () => {
    expect(files.length).toBeGreaterThan(10)
  })

  it.each(files.map((file) => [relative(repositoryRoot, file), file]))('%s', (_name, file) => {
    const broken: string[] = []
    for (const link of linksOf(readFileSync(file, 'utf8'))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(link)) continue // https:, mailto: …
      const [path = '', anchor] = link.split('#')
      const target = path === '' ? file : join(dirname(file), decodeURIComponent(path))
      if (!existsSync(target)) {
        broken.push(`${link} (no such file)`)
        continue
      }
      if (
        anchor !== undefined &&
        anchor !== '' &&
        statSync(target).isFile() &&
        target.endsWith('.md')
      ) {
        if (!anchorsOf(readFileSync(target, 'utf8')).has(anchor))
          broken.push(`${link} (no such heading)`)
      }
    }
    expect(broken).toEqual([])
  })
})
