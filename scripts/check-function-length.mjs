#!/usr/bin/env node
// Lists every function in packages/*/src (tests excluded) longer than the limit, counted
// from its first to its last line. Declarative tables are not functions, so they are
// not counted. Exits 1 when any function is over the limit and not listed in ALLOWED
// below with a reason.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join, relative } from 'node:path'
import ts from 'typescript'

const LIMIT = 60
const root = new URL('..', import.meta.url).pathname

/** `file:function` → why it may be longer. Keep this list empty, or short and justified. */
const ALLOWED = new Map([])

function* sources(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) yield* sources(path)
    else if (/\.ts$/.test(name) && !/\.(test|test-d)\.ts$/.test(name) && !name.endsWith('.d.ts'))
      yield path
  }
}

function nameOf(node, file) {
  if (node.name && ts.isIdentifier(node.name)) return node.name.text
  let parent = node.parent
  while (parent) {
    if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text
    if (ts.isPropertyAssignment(parent) && ts.isIdentifier(parent.name)) return parent.name.text
    if ((ts.isMethodDeclaration(parent) || ts.isFunctionDeclaration(parent)) && parent.name)
      return parent.name.getText(file)
    parent = parent.parent
  }
  return '(anonymous)'
}

const offenders = []
for (const pkg of readdirSync(join(root, 'packages'))) {
  const src = join(root, 'packages', pkg, 'src')
  try {
    statSync(src)
  } catch {
    continue
  }
  for (const path of sources(src)) {
    const text = readFileSync(path, 'utf8')
    const file = ts.createSourceFile(path, text, ts.ScriptTarget.Latest, true)
    const visit = (node) => {
      if (
        ts.isFunctionDeclaration(node) ||
        ts.isFunctionExpression(node) ||
        ts.isArrowFunction(node) ||
        ts.isMethodDeclaration(node) ||
        ts.isGetAccessor(node) ||
        ts.isConstructorDeclaration(node)
      ) {
        if (node.body) {
          const start = file.getLineAndCharacterOfPosition(node.getStart(file)).line
          const end = file.getLineAndCharacterOfPosition(node.end).line
          const lines = end - start + 1
          const id = `${relative(root, path)}:${nameOf(node, file)}`
          if (lines > LIMIT && !ALLOWED.has(id)) offenders.push({ id, lines, line: start + 1 })
        }
      }
      ts.forEachChild(node, visit)
    }
    visit(file)
  }
}

offenders.sort((a, b) => b.lines - a.lines)
for (const { id, lines, line } of offenders) console.log(`${lines}\t${id} (line ${line})`)
if (offenders.length > 0) {
  console.log(`${offenders.length} functions are longer than ${LIMIT} lines`)
  process.exit(1)
}
console.log(`no function in packages/*/src is longer than ${LIMIT} lines`)
