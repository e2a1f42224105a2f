/** Files the demo reads, found from this module's location (`src/` or `dist/`). */
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The package root (one level above `src/` or `dist/`). */
export const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url))

/** The policy the demo runs. */
export const POLICY_PATH = join(PACKAGE_ROOT, 'policy.yaml')

/** Where the browser bundle of the verifier is built (`npm run build`). */
export const BROWSER_BUNDLE_PATH = join(PACKAGE_ROOT, 'dist', 'browser', 'verify.js')
