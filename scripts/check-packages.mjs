#!/usr/bin/env node
// Checks every published package as a package, the way a user's install sees it:
//   1. package.json fields: ESM, `exports` with `types` first, `files`, `engines`,
//      `sideEffects`, `license`, `repository.directory`, public access, a README;
//   2. every bare import in the built `dist` is a declared dependency (workspace links
//      hide a missing one; a user's install does not);
//   3. `publint --strict` and `attw --pack --profile esm-only` (Writ ships ESM only;
//      Node 20.19+ can `require()` it, so the CommonJS-resolves-to-ESM rule is moot).
//
// Usage: node scripts/check-packages.mjs [--fields-only] [@writ/name ...]
// Run after `npm run build`. Exits 1 when anything fails.
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { checkManifest } from './package-checks.mjs'
import { publishedPackages, repositoryRoot } from './published-packages.mjs'

const run = promisify(execFile)
const argv = process.argv.slice(2)
const fieldsOnly = argv.includes('--fields-only')
const only = argv.filter((argument) => !argument.startsWith('--'))

/** Runs a tool; returns its output when it fails, otherwise null. */
async function tool(command, args, cwd) {
  try {
    await run(command, args, {
      cwd,
      maxBuffer: 32 * 1024 * 1024,
      env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' },
    })
    return null
  } catch (error) {
    return `${error.stdout ?? ''}${error.stderr ?? ''}`.trim() || String(error)
  }
}

const binary = (name) => join(repositoryRoot, 'node_modules', '.bin', name)

async function checkPackage(entry) {
  const problems = checkManifest(entry)
  if (!fieldsOnly) {
    const [publint, attw] = await Promise.all([
      tool(
        binary('publint'),
        ['run', entry.directory, '--strict', '--pack', 'npm'],
        repositoryRoot,
      ),
      tool(
        binary('attw'),
        [
          '--pack',
          entry.directory,
          '--profile',
          'esm-only',
          '--format',
          'ascii',
          '--no-emoji',
          '--no-color',
        ],
        repositoryRoot,
      ),
    ])
    if (publint !== null) problems.push(`publint --strict:\n${indent(publint)}`)
    if (attw !== null) problems.push(`attw --pack --profile esm-only:\n${indent(attw)}`)
  }
  return { name: entry.name, problems }
}

const indent = (text) =>
  text
    .split('\n')
    .map((line) => `      ${line}`)
    .join('\n')

const packages = publishedPackages().filter(
  (entry) => only.length === 0 || only.includes(entry.name),
)
if (packages.length === 0) {
  console.error(`no published package matches ${only.join(', ')}`)
  process.exit(1)
}

// A few at a time: each check packs a tarball.
const results = []
const queue = [...packages]
await Promise.all(
  Array.from({ length: 3 }, async () => {
    for (let entry = queue.shift(); entry; entry = queue.shift())
      results.push(await checkPackage(entry))
  }),
)
results.sort((left, right) => (left.name < right.name ? -1 : 1))

let failed = 0
for (const { name, problems } of results) {
  if (problems.length === 0) console.log(`ok    ${name}`)
  else {
    failed += 1
    console.log(`FAIL  ${name}`)
    for (const text of problems) console.log(`    - ${text}`)
  }
}
console.log(
  `\n${results.length - failed} of ${results.length} packages pass${fieldsOnly ? ' (fields only)' : ''}`,
)
process.exitCode = failed === 0 ? 0 : 1
