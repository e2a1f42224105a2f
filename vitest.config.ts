import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'

const packages = ['verify', 'core', 'store-sqlite', 'store-postgres', 'openai', 'langchain', 'fetch', 'server', 'cli']

// Tests import each workspace package from its TypeScript source, so a test run
// never depends on a stale build. Child processes and examples use the built dist.
export default defineConfig({
  resolve: {
    alias: packages.map((name) => ({
      find: new RegExp(`^@writ/${name}$`),
      replacement: fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url)),
    })),
  },
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'examples/*/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
})
