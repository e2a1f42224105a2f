// Bundles the console's browser verifier (browser/console-verify.ts + @writ/verify) into
// assets/console-verify.js with esbuild, the way apps/demo bundles its own. It is the second
// half of the package's `build` (after tsc), so the bundle is made from the @writ/verify
// being built alongside it, never kept in the repository where it would go stale; the
// package's `files` ships it.
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))
await build({
  entryPoints: [`${root}browser/console-verify.ts`],
  outfile: `${root}assets/console-verify.js`,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  legalComments: 'none',
  minify: true,
  logLevel: 'warning',
})
