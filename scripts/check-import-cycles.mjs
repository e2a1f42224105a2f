#!/usr/bin/env node
// Fails when modules import each other in a circle, in packages/*/src or apps/*/src.
// Type-only imports count too: a cycle of types is still two modules that cannot be
// read, tested or moved one without the other. Between packages the workspace's
// dependency order already forbids cycles; this looks inside each package.
//
//   node scripts/check-import-cycles.mjs            every packages/*/src and apps/*/src
//   node scripts/check-import-cycles.mjs DIR...     only these folders
import { existsSync, readdirSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import madge from 'madge'
import { repositoryRoot } from './published-packages.mjs'

/** Every `src` folder of a workspace package or app. */
function sourceFolders() {
  return ['packages', 'apps'].flatMap((group) => {
    const groupDirectory = join(repositoryRoot, group)
    if (!existsSync(groupDirectory)) return []
    return readdirSync(groupDirectory, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(groupDirectory, entry.name, 'src'))
      .filter((folder) => existsSync(folder))
  })
}

const given = process.argv.slice(2)
const folders = given.length > 0 ? given.map((folder) => resolve(folder)) : sourceFolders()
const cycles = []
for (const folder of folders) {
  const graph = await madge(folder, {
    fileExtensions: ['ts', 'tsx', 'mts'],
    excludeRegExp: [/\.d\.ts$/],
    detectiveOptions: { ts: { skipTypeImports: false }, tsx: { skipTypeImports: false } },
  })
  const base = relative(repositoryRoot, folder)
  for (const cycle of graph.circular()) cycles.push(cycle.map((file) => join(base, file)))
}

if (cycles.length > 0) {
  for (const cycle of cycles) console.error(`import cycle: ${[...cycle, cycle[0]].join(' → ')}`)
  console.error(`${cycles.length} import cycles; break each by moving what both sides need`)
  process.exit(1)
}
console.log(`no import cycle in ${folders.length} source folders`)
