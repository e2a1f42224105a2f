/**
 * The version of this package, read from its `package.json` (one level above both
 * `src/` and `dist/`).
 */
import { createRequire } from 'node:module'

/** The `version` of `@writ/cli`'s package.json, or `unknown` when it cannot be read. */
export function cliVersion(): string {
  try {
    const { version } = createRequire(import.meta.url)('../package.json') as { version?: unknown }
    return typeof version === 'string' ? version : 'unknown'
  } catch {
    return 'unknown'
  }
}
