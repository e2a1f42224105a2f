// Bundles the console's browser verifier (browser/console-verify.ts + @writ/verify) into
// assets/console-verify.js with esbuild, the way apps/demo bundles its own. The bundle is
// kept in the repository so the package needs no bundler at install or build time; run
// this again after @writ/verify changes.
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
