/**
 * The version of this package, read from its `package.json` (one level above both
 * `src/` and `dist/`).
 */
import { readFileSync } from 'node:fs'

/** The `version` of `@writ/cli`'s package.json, or `unknown` when it cannot be read. */
export function cliVersion(): string {
  try {
    const text = readFileSync(new URL('../package.json', import.meta.url), 'utf8')
    const version = (JSON.parse(text) as { version?: unknown }).version
    return typeof version === 'string' ? version : 'unknown'
  } catch {
    return 'unknown'
  }
}
