#!/usr/bin/env node
// Checks that every export of each published package's `src/index.ts` (and of each
// subpath entry such as `src/testing/index.ts` or `src/receiver.ts`) has a TSDoc
// comment on its declaration. Re-exports from another Writ package are checked in
// that package, not twice.
//
// Usage: node scripts/check-tsdoc.mjs [--json] [@writ/name ...]
// Exits 1 and lists every undocumented export when there is any.
import { existsSync } from 'node:fs'
import { join, relative } from 'node:path'
import ts from 'typescript'
import { publishedPackages, repositoryRoot } from './published-packages.mjs'

const argv = process.argv.slice(2)
const asJson = argv.includes('--json')
const only = argv.filter((argument) => !argument.startsWith('--'))

/** The source file behind each `exports` subpath, e.g. `./receiver` → `src/receiver.ts`. */
function entrySources({ directory, manifest }) {
  const sources = []
  for (const [subpath, target] of Object.entries(manifest.exports ?? {})) {
    const built = typeof target === 'string' ? target : (target?.default ?? target?.import)
    if (typeof built !== 'string' || !built.startsWith('./dist/') || !built.endsWith('.js'))
      continue
    const source = join(directory, `src/${built.slice('./dist/'.length, -'.js'.length)}.ts`)
    if (existsSync(source)) sources.push({ subpath, source })
  }
  return sources
}

/** A declaration is documented when it, or the statement that holds it, carries a `/** … *\/` comment. */
function isDocumented(declaration) {
  if (ts.getJSDocCommentsAndTags(declaration).length > 0) return true
  // `export const a = 1, b = 2` and similar: the comment sits on the statement.
  let node = declaration
  while (node && !ts.isSourceFile(node)) {
    const ranges = ts.getLeadingCommentRanges(node.getSourceFile().text, node.getFullStart()) ?? []
    if (ranges.some((range) => node.getSourceFile().text.startsWith('/**', range.pos))) return true
    if (ts.isVariableStatement(node) || ts.isModuleBlock(node)) break
    node = node.parent
  }
  return false
}

const kindName = (declaration) =>
  ts.SyntaxKind[declaration.kind]
    .replace(/Declaration$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()

const packages = publishedPackages().filter(
  (entry) => only.length === 0 || only.includes(entry.name),
)
const entries = packages.flatMap((entry) =>
  entrySources(entry).map((source) => ({ ...entry, ...source })),
)
const program = ts.createProgram(
  entries.map((entry) => entry.source),
  {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    strict: true,
    skipLibCheck: true,
    noEmit: true,
    types: ['node'],
  },
)
const checker = program.getTypeChecker()

const gaps = []
let checked = 0
for (const entry of entries) {
  const sourceFile = program.getSourceFile(entry.source)
  const moduleSymbol = sourceFile && checker.getSymbolAtLocation(sourceFile)
  if (!moduleSymbol) {
    gaps.push({
      package: entry.name,
      entry: entry.subpath,
      name: '(module)',
      kind: 'module',
      location: relative(repositoryRoot, entry.source),
    })
    continue
  }
  const sourceDirectory = join(entry.directory, 'src')
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol =
      exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported
    const declarations = (symbol.declarations ?? []).filter((declaration) =>
      declaration.getSourceFile().fileName.startsWith(sourceDirectory),
    )
    if (declarations.length === 0) continue // declared in another package: checked there
    checked += 1
    if (declarations.some(isDocumented)) continue
    const declaration = declarations[0]
    const file = declaration.getSourceFile()
    const { line } = file.getLineAndCharacterOfPosition(declaration.getStart())
    gaps.push({
      package: entry.name,
      entry: entry.subpath,
      name: exported.name,
      kind: kindName(declaration),
      location: `${relative(repositoryRoot, file.fileName)}:${line + 1}`,
    })
  }
}

// A symbol exported from two entries (e.g. `.` and `./receiver`) is one gap.
const unique = [
  ...new Map(gaps.map((gap) => [`${gap.package} ${gap.name} ${gap.location}`, gap])).values(),
]

if (asJson) console.log(JSON.stringify({ checked, gaps: unique }, null, 2))
else {
  for (const name of new Set(unique.map((gap) => gap.package))) {
    console.log(`${name}:`)
    for (const gap of unique.filter((candidate) => candidate.package === name))
      console.log(`  ${gap.name} (${gap.kind}) ${gap.location}`)
  }
  console.log(`${checked} exports checked, ${unique.length} without TSDoc`)
}
process.exitCode = unique.length === 0 ? 0 : 1
