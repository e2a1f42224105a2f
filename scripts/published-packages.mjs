// The list of packages Writ publishes: every `packages/*` whose package.json is not
// private. Shared by the release checks and the packed-install test.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Absolute path of the repository root. */
export const repositoryRoot = fileURLToPath(new URL('..', import.meta.url))

/**
 * Reads every published package of the workspace.
 *
 * @returns `{ name, directory, relativeDirectory, manifest }` for each non-private
 *   package under `packages/`, sorted by directory name.
 */
export function publishedPackages() {
  const packagesDirectory = join(repositoryRoot, 'packages')
  return readdirSync(packagesDirectory, { withFileTypes: true })
    .filter(
      (entry) =>
        entry.isDirectory() && existsSync(join(packagesDirectory, entry.name, 'package.json')),
    )
    .map((entry) => {
      const directory = join(packagesDirectory, entry.name)
      const manifest = JSON.parse(readFileSync(join(directory, 'package.json'), 'utf8'))
      return {
        name: manifest.name,
        directory,
        relativeDirectory: `packages/${entry.name}`,
        manifest,
      }
    })
    .filter((entry) => entry.manifest.private !== true)
    .sort((left, right) => (left.relativeDirectory < right.relativeDirectory ? -1 : 1))
}
