// Bundles the browser verifier (src/browser/verify-entry.ts + @writ/verify) into
// dist/browser/verify.js with esbuild. Run by `npm run build`.
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = fileURLToPath(new URL('..', import.meta.url))
await build({
  entryPoints: [`${root}src/browser/verify-entry.ts`],
  outfile: `${root}dist/browser/verify.js`,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  sourcemap: true,
  legalComments: 'none',
  logLevel: 'warning',
})
