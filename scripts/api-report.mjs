#!/usr/bin/env node
// API reports: one file per entry point of each published package, written by API
// Extractor from the built type declarations (run `npm run build` first), so a change to
// a public name or signature shows up in review as a change to packages/<pkg>/etc/.
//
//   node scripts/api-report.mjs            check: exit 1 if a report is stale or missing
//   node scripts/api-report.mjs --update   write the reports (and delete orphaned ones)
//   node scripts/api-report.mjs [--update] DIR...   only the packages in these folders
//
// Every subpath of a package's `exports` map gets a report (`.` → etc/<pkg>.api.md,
// `./hono` → etc/<pkg>-hono.api.md), except `./package.json` and the `./internal`
// entries: those are shared between Writ's own packages, carry no compatibility promise
// and are left out on purpose. The settings shared by all packages are in
// api-extractor.json at the repository root.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { CompilerState, Extractor, ExtractorConfig } from '@microsoft/api-extractor'
import { publishedPackages, repositoryRoot } from './published-packages.mjs'

const update = process.argv.includes('--update')
const packageFolders = process.argv.slice(2).filter((argument) => !argument.startsWith('--'))
const sharedConfigPath = join(repositoryRoot, 'api-extractor.json')
const tempRoot = join(repositoryRoot, 'node_modules', '.cache', 'api-report')

/** Subpaths whose API is not reported: not entry points, or internal by name. */
function isReported(subpath) {
  return subpath !== './package.json' && !/^\.\/internal(\/|$)/.test(subpath)
}

/** The entry points of one package: `{ subpath, types, reportName }`. */
function entryPoints(pkg) {
  const unscoped = pkg.name.replace(/^@[^/]+\//, '')
  const exportsMap = pkg.manifest.exports ?? { '.': { types: pkg.manifest.types } }
  return Object.entries(exportsMap)
    .filter(([subpath]) => isReported(subpath))
    .map(([subpath, target]) => {
      const types = typeof target === 'object' && target !== null ? target.types : undefined
      const suffix = subpath === '.' ? '' : `-${subpath.slice(2).replaceAll('/', '-')}`
      return { subpath, types, reportName: `${unscoped}${suffix}.api.md` }
    })
}

/**
 * Strips source locations (`// src/x.ts:19:5 - (ae-…)`) from a report: they move with
 * every edit above them and say nothing about the API.
 */
function normalize(report) {
  return report.replace(/^\/\/ [^\s]+:\d+:\d+ - \(/gm, '// (')
}

/** API Extractor's settings for one entry point: the shared file, filled in. */
function configFor(pkg, entry, mainEntryPointFilePath, tempFolder) {
  const configObject = ExtractorConfig.loadFile(sharedConfigPath)
  configObject.projectFolder = pkg.directory
  configObject.mainEntryPointFilePath = mainEntryPointFilePath
  configObject.apiReport = {
    ...configObject.apiReport,
    reportFileName: entry.reportName,
    reportFolder: tempFolder,
    reportTempFolder: tempFolder,
  }
  return ExtractorConfig.prepare({
    configObject,
    configObjectFullPath: sharedConfigPath,
    packageJsonFullPath: join(pkg.directory, 'package.json'),
  })
}

/**
 * Runs API Extractor on one entry point; returns the report's text and any problems.
 * `shared.compilerState` keeps one TypeScript program for all entry points of a package.
 */
function extract(pkg, entry, mainEntryPointFilePath, shared) {
  const tempFolder = join(tempRoot, pkg.relativeDirectory)
  mkdirSync(tempFolder, { recursive: true })
  const config = configFor(pkg, entry, mainEntryPointFilePath, tempFolder)
  shared.compilerState ??= CompilerState.create(config, {
    additionalEntryPoints: shared.entryFiles,
  })
  const messages = []
  const result = Extractor.invoke(config, {
    localBuild: true,
    compilerState: shared.compilerState,
    messageCallback(message) {
      // A dependency that ships .ts sources as its types (@langchain/protocol does) is
      // not ours to analyze: its names appear in our reports as imports either way.
      if (
        message.messageId === 'ae-wrong-input-file-type' &&
        message.sourceFilePath?.includes('/node_modules/')
      )
        message.logLevel = 'none'
      message.handled = true
      if (message.category === 'console' && message.logLevel !== 'error') return
      if (message.logLevel === 'error' || message.logLevel === 'warning')
        messages.push(`  ${message.formatMessageWithLocation(repositoryRoot)}`)
    },
  })
  const reportFile = join(tempFolder, entry.reportName)
  const report = existsSync(reportFile) ? normalize(readFileSync(reportFile, 'utf8')) : undefined
  return { report, errors: result.errorCount, messages }
}

/** Checks (or writes) the report of one entry point; returns a problem string or undefined. */
function runEntry(pkg, entry, shared) {
  const label = `${pkg.name}${entry.subpath === '.' ? '' : entry.subpath.slice(1)}`
  if (!entry.types) return `${label}: its exports entry names no "types" file`
  const mainEntryPointFilePath = join(pkg.directory, entry.types)
  if (!existsSync(mainEntryPointFilePath))
    return `${label}: ${relative(repositoryRoot, mainEntryPointFilePath)} is missing (run npm run build first)`
  const { report, errors, messages } = extract(pkg, entry, mainEntryPointFilePath, shared)
  if (errors > 0 || report === undefined)
    return `${label}: API Extractor failed\n${messages.join('\n')}`
  if (messages.length > 0) console.warn(`${label}:\n${messages.join('\n')}`)
  const reportPath = join(pkg.directory, 'etc', entry.reportName)
  const committed = existsSync(reportPath) ? readFileSync(reportPath, 'utf8') : undefined
  if (committed === report) return undefined
  if (update) {
    mkdirSync(join(pkg.directory, 'etc'), { recursive: true })
    writeFileSync(reportPath, report)
    console.log(`api-report: wrote ${relative(repositoryRoot, reportPath)}`)
    return undefined
  }
  showDifference(reportPath, report)
  return `${relative(repositoryRoot, reportPath)} is ${committed === undefined ? 'missing' : 'stale'}`
}

/** Reports in etc/ that no entry point produces any more. */
function orphanedReports(pkg, entries) {
  const etc = join(pkg.directory, 'etc')
  if (!existsSync(etc)) return []
  const expected = new Set(entries.map((entry) => entry.reportName))
  return readdirSync(etc)
    .filter((name) => name.endsWith('.api.md') && !expected.has(name))
    .map((name) => join(etc, name))
}

/** Prints what changed in a stale report, so CI logs show the difference. */
function showDifference(reportPath, report) {
  const fresh = join(tempRoot, `fresh-${process.pid}.api.md`)
  writeFileSync(fresh, report)
  const committed = existsSync(reportPath) ? relative(repositoryRoot, reportPath) : '/dev/null'
  const args = [
    'diff',
    '--no-index',
    '--no-color',
    '--',
    committed,
    relative(repositoryRoot, fresh),
  ]
  const diff = spawnSync('git', args, { cwd: repositoryRoot, encoding: 'utf8' })
  const lines = (diff.stdout ?? '').split('\n')
  console.error(lines.slice(0, 80).join('\n'))
  if (lines.length > 80) console.error(`  … ${lines.length - 80} more lines`)
}

const problems = []
let reports = 0
/** The packages named on the command line, or every published package. */
function packagesToReport() {
  if (packageFolders.length === 0) return publishedPackages()
  return packageFolders.map((folder) => {
    const directory = resolve(folder)
    const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8'))
    return {
      name: manifest.name,
      directory,
      relativeDirectory: relative(repositoryRoot, directory),
      manifest,
    }
  })
}

for (const pkg of packagesToReport()) {
  const entries = entryPoints(pkg)
  const entryFiles = entries
    .filter((entry) => entry.types && existsSync(join(pkg.directory, entry.types)))
    .map((entry) => join(pkg.directory, entry.types))
  const shared = { entryFiles, compilerState: undefined }
  for (const entry of entries) {
    reports += 1
    const problem = runEntry(pkg, entry, shared)
    if (problem) problems.push(problem)
  }
  for (const orphan of orphanedReports(pkg, entries)) {
    if (update) rmSync(orphan)
    else problems.push(`${relative(repositoryRoot, orphan)} has no entry point any more`)
  }
}

if (problems.length > 0) {
  for (const problem of problems) {
    console.error(`api-report: ${problem}`)
  }
  console.error(
    `api-report: ${problems.length} of ${reports} API reports are out of date. If the change ` +
      'is intended, run `npm run build && npm run api:update` and commit packages/*/etc/.',
  )
  process.exit(1)
}
console.log(`api-report: ${reports} API reports ${update ? 'written' : 'up to date'}`)
