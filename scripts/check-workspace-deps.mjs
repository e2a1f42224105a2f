#!/usr/bin/env node
// Fails when a workspace (package, app or example) type-checks a file that imports a
// `@writ/*` package it does not list in its own package.json. Turbo builds a
// workspace's dependencies before its typecheck only when they are declared, so an
// undeclared one type-checks against whatever happens to be built already: green on a
// warm machine, red on a clean clone. Files reached through relative imports (the
// shared suites under test/) count for the workspace that includes them.
//
//   node scripts/check-workspace-deps.mjs
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { repositoryRoot } from './published-packages.mjs'

const SOURCE = /\.(ts|tsx|mts)$/
const IMPORT = /from '([^']+)'|import\('([^']+)'\)/g

function workspaces() {
  return ['packages', 'apps', 'examples'].flatMap((group) => {
    const groupDirectory = join(repositoryRoot, group)
    if (!existsSync(groupDirectory)) return []
    return readdirSync(groupDirectory, { withFileTypes: true })
      .filter(
        (entry) =>
          entry.isDirectory() && existsSync(join(groupDirectory, entry.name, 'package.json')),
      )
      .map((entry) => join(groupDirectory, entry.name))
  })
}

function sourceFiles(directory) {
  if (!existsSync(directory)) return []
  return readdirSync(directory, { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name)
    if (entry.isDirectory())
      return entry.name === 'node_modules' || entry.name === 'dist' ? [] : sourceFiles(path)
    return SOURCE.test(entry.name) ? [path] : []
  })
}

function included(workspace) {
  const tsconfig = join(workspace, 'tsconfig.json')
  const include = existsSync(tsconfig)
    ? (JSON.parse(readFileSync(tsconfig, 'utf8')).include ?? ['src', 'test'])
    : ['src']
  return include.flatMap((entry) => sourceFiles(join(workspace, entry.replace(/\/\*\*.*$/, ''))))
}

function relativeTarget(from, specifier) {
  const base = resolve(dirname(from), specifier)
  const candidates = [
    base.replace(/\.js$/, '.ts'),
    base.replace(/\.js$/, '.tsx'),
    `${base}.ts`,
    join(base, 'index.ts'),
  ]
  return candidates.find((candidate) => existsSync(candidate) && !candidate.includes('/dist/'))
}

/** Undeclared `@writ/*` imports of one workspace, each with the file that makes it. */
function undeclared(workspace) {
  const manifest = JSON.parse(readFileSync(join(workspace, 'package.json'), 'utf8'))
  const declared = new Set([
    manifest.name,
    ...Object.keys({
      ...manifest.dependencies,
      ...manifest.devDependencies,
      ...manifest.peerDependencies,
    }),
  ])
  const queue = included(workspace)
  const seen = new Set()
  const missing = new Map()
  while (queue.length > 0) {
    const file = queue.pop()
    if (seen.has(file)) continue
    seen.add(file)
    for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2]
      if (specifier.startsWith('@writ/')) {
        const name = specifier.split('/').slice(0, 2).join('/')
        if (!declared.has(name) && !missing.has(name))
          missing.set(name, relative(repositoryRoot, file))
      } else if (specifier.startsWith('.')) {
        const target = relativeTarget(file, specifier)
        if (target) queue.push(target)
      }
    }
  }
  return [...missing].map(
    ([name, file]) => `${manifest.name} imports ${name} (in ${file}) without declaring it`,
  )
}

const problems = workspaces().flatMap(undeclared)
for (const problem of problems) console.error(problem)
if (problems.length > 0) {
  console.error(
    `\n${problems.length} undeclared workspace import(s): add each to the workspace's devDependencies.`,
  )
  process.exit(1)
}
console.log('every @writ/* import is declared by the workspace that type-checks it')
