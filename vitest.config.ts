import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { configDefaults, defineConfig, type Plugin } from 'vitest/config'

const root = fileURLToPath(new URL('.', import.meta.url))

/**
 * Tests import every workspace package (and its subpaths, such as
 * `@writ/core/testing` or `@writ/fetch/receiver`) from its TypeScript source, so
 * a test run never depends on a stale build. Child processes and examples use the
 * built `dist` through the normal package exports.
 */
function writSources(): Plugin {
  return {
    name: 'writ-sources',
    enforce: 'pre',
    resolveId(id) {
      const match = /^@writ\/([a-z-]+)(?:\/([a-z-]+))?$/.exec(id)
      if (!match) return null
      const [, name, subpath] = match
      const base = `${root}packages/${name}/src/`
      const candidates = subpath
        ? [`${base}${subpath}.ts`, `${base}${subpath}/index.ts`]
        : [`${base}index.ts`]
      return candidates.find((candidate) => existsSync(candidate)) ?? null
    },
  }
}

/**
 * Test files that need a newer Node than the one running them. `@writ/openai-agents`
 * needs Node 22+ (the Agents SDK depends on `openai` 7): its tests run on the Node 24
 * lane of CI and are left out of the Node 20 run here, by configuration, so that no test
 * is ever skipped (README, "Tested Node versions").
 */
const nodeMajor = Number(process.versions.node.split('.')[0])
const needsNewerNode = nodeMajor < 22 ? ['packages/openai-agents/**'] : []
export default defineConfig({
  plugins: [writSources()],
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'apps/*/src/**/*.test.ts',
      'apps/*/test/**/*.test.ts',
      'examples/*/*.test.ts',
      'test/**/*.test.ts',
    ],
    exclude: [...configDefaults.exclude, ...needsNewerNode],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores, so one on a 2-core CI machine;
    // most test files wait on child processes, servers and databases rather than on the
    // CPU, so two keep both cores busy. WRIT_TEST_WORKERS overrides it.
    maxWorkers: Number(process.env['WRIT_TEST_WORKERS'] ?? 2),
  },
})
