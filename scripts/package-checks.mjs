// The field and content checks of a published package, without the external tools:
// used by scripts/check-packages.mjs and tested in test/packaging/package-checks.test.ts.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const builtins = new Set(builtinModules)
const rootLicense = fileURLToPath(new URL('../LICENSE', import.meta.url))

/**
 * Field and content checks of one package.
 *
 * @param entry `{ name, directory, relativeDirectory, manifest }` as `publishedPackages()` returns
 * @returns the problems found, as sentences; empty when the package is fine
 */
export function checkManifest({ name, directory, relativeDirectory, manifest }) {
  const problems = []
  const problem = (text) => problems.push(text)

  if (manifest.type !== 'module') problem('"type" must be "module" (Writ ships ESM only)')
  if (typeof manifest.description !== 'string' || manifest.description.length === 0)
    problem('"description" is missing')
  if (typeof manifest.license !== 'string' || manifest.license.length === 0)
    problem('"license" is missing')
  if (manifest.sideEffects !== false) problem('"sideEffects" must be false')
  if (typeof manifest.engines?.node !== 'string') problem('"engines.node" is missing')
  else if (!supportedEngines(manifest.engines.node))
    problem(
      `"engines.node" is "${manifest.engines.node}", expected ">=20.19" (or ">=N" for a package that needs Node N, N of 22 or more)`,
    )
  if (typeof manifest.repository?.url !== 'string') problem('"repository.url" is missing')
  if (manifest.repository?.directory !== relativeDirectory)
    problem(
      `"repository.directory" must be "${relativeDirectory}" (found ${JSON.stringify(manifest.repository?.directory)})`,
    )
  if (manifest.publishConfig?.access !== 'public')
    problem('"publishConfig.access" must be "public" (scoped packages are private by default)')
  if (!Array.isArray(manifest.files) || !manifest.files.includes('dist'))
    problem('"files" must list "dist"')

  const readme = join(directory, 'README.md')
  if (!existsSync(readme) || statSync(readme).size < 200)
    problem('README.md is missing or nearly empty')

  if (manifest.exports === null || typeof manifest.exports !== 'object')
    problem('"exports" is missing')
  else {
    if (!Object.hasOwn(manifest.exports, '.')) problem('"exports" has no "." entry')
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      if (subpath === './package.json') continue
      checkConditions(subpath, target, directory, problem)
    }
  }

  for (const [command, target] of Object.entries(manifest.bin ?? {})) {
    const file = join(directory, target)
    if (!existsSync(file))
      problem(`bin "${command}" points to ${target}, which does not exist (build first)`)
    else if (!readFileSync(file, 'utf8').startsWith('#!/usr/bin/env node'))
      problem(`bin "${command}" (${target}) has no "#!/usr/bin/env node" line`)
  }

  const version = manifest.version
  for (const field of ['dependencies', 'peerDependencies']) {
    for (const [dependency, range] of Object.entries(manifest[field] ?? {})) {
      // An optional peer (a package only some commands load) may be "*": a peer range
      // that a release leaves would make changesets bump the dependent a major version.
      // The package checks the version it loads at run time instead.
      const optionalPeer =
        field === 'peerDependencies' &&
        manifest.peerDependenciesMeta?.[dependency]?.optional === true
      if (optionalPeer && range === '*') continue
      if (dependency.startsWith('@writ/') && range !== version && range !== `^${version}`)
        problem(
          `${field}.${dependency} is "${range}", expected the fixed release version "${version}"`,
        )
    }
  }

  problems.push(...checkLicense(directory), ...checkSourceMaps(directory))
  problems.push(...checkImports(name, directory, manifest))
  return problems
}

/**
 * The package carries the repository's LICENSE, word for word: npm puts a package's
 * own LICENSE file in its tarball whatever `files` says, never the root one.
 */
function checkLicense(directory) {
  const license = join(directory, 'LICENSE')
  if (!existsSync(license)) return ["LICENSE is missing (copy the repository's LICENSE file)"]
  if (readFileSync(license, 'utf8') !== readFileSync(rootLicense, 'utf8'))
    return ["LICENSE differs from the repository's LICENSE file"]
  return []
}

/**
 * A source map in the tarball must carry its sources (`sourcesContent`): `src/` is not
 * published, so a map that only points at `../src/*.ts` leads a debugger nowhere.
 * Declaration maps can hold no sources, so none is shipped.
 */
function checkSourceMaps(directory) {
  const dist = join(directory, 'dist')
  if (!existsSync(dist)) return []
  const problems = []
  for (const file of walk(dist)) {
    if (file.endsWith('.d.ts.map'))
      problems.push(
        `${relative(directory, file)} is a declaration map pointing at unshipped sources`,
      )
    else if (file.endsWith('.js.map')) {
      const map = JSON.parse(readFileSync(file, 'utf8'))
      const sources = map.sources ?? []
      const contents = map.sourcesContent ?? []
      if (
        sources.length === 0 ||
        contents.length !== sources.length ||
        contents.some((text) => typeof text !== 'string')
      )
        problems.push(`${relative(directory, file)} has no sourcesContent for its sources`)
    }
  }
  return problems
}

/** `types` must come first in every condition object, and targets must exist after a build. */
function checkConditions(subpath, target, directory, problem) {
  if (typeof target === 'string') {
    problem(`exports["${subpath}"] is a bare string; give it { "types", "default" } conditions`)
    return
  }
  if (target === null || typeof target !== 'object') return
  const keys = Object.keys(target)
  if (keys.includes('types') && keys[0] !== 'types')
    problem(`exports["${subpath}"]: "types" must be the first condition`)
  if (!keys.includes('types') && keys.every((key) => typeof target[key] === 'string'))
    problem(`exports["${subpath}"] has no "types" condition`)
  for (const key of keys) {
    const value = target[key]
    if (typeof value === 'string') {
      if (!value.startsWith('./dist/'))
        problem(`exports["${subpath}"].${key} points outside dist: ${value}`)
      else if (!existsSync(join(directory, value)))
        problem(`exports["${subpath}"].${key} → ${value} does not exist (build first)`)
    } else checkConditions(`${subpath}.${key}`, value, directory, problem)
  }
}

/** Every bare specifier imported by the built JavaScript must be declared. */
function checkImports(name, directory, manifest) {
  const dist = join(directory, 'dist')
  if (!existsSync(dist)) return [`no dist folder (run "npm run build" first)`]
  const declared = new Set([
    ...Object.keys(manifest.dependencies ?? {}),
    ...Object.keys(manifest.peerDependencies ?? {}),
    ...Object.keys(manifest.optionalDependencies ?? {}),
  ])
  const problems = []
  const specifier =
    /(?:^|[\s;})])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm
  for (const file of walk(dist)) {
    if (!file.endsWith('.js') || /\.test\.js$/.test(file)) continue
    const source = readFileSync(file, 'utf8')
    for (const match of source.matchAll(specifier)) {
      const imported = match[1] ?? match[2] ?? match[3]
      if (
        !imported ||
        imported.startsWith('.') ||
        imported.startsWith('node:') ||
        builtins.has(imported)
      )
        continue
      const packageName = imported.startsWith('@')
        ? imported.split('/').slice(0, 2).join('/')
        : imported.split('/')[0]
      if (packageName === name) continue
      if (!declared.has(packageName))
        problems.push(
          `${relative(directory, file)} imports "${imported}", but "${packageName}" is not in dependencies or peerDependencies`,
        )
    }
  }
  return problems
}

function* walk(directory) {
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name)
    if (entry.isDirectory()) yield* walk(path)
    else yield path
  }
}

/**
 * `>=20.19`, what every package supports unless it needs more, or `>=N` (N of 22 or more)
 * for a package whose dependencies need a newer Node, such as `@writ/openai-agents`.
 */
function supportedEngines(range) {
  if (range === '>=20.19') return true
  const match = /^>=(\d+)$/.exec(range)
  return match !== null && Number(match[1]) >= 22
}
