import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Where the shared test vectors live: `WRIT_VECTORS`, or `<repo>/../shared/vectors`. */
export const VECTORS_DIRECTORY: string =
  process.env['WRIT_VECTORS'] ??
  fileURLToPath(new URL('../../../../shared/vectors', import.meta.url))

/** Reads a vector file as text. */
export function readVector(...segments: string[]): string {
  return readFileSync(join(VECTORS_DIRECTORY, ...segments), 'utf8')
}

/** Lists the files of a vector folder. */
export function listVectors(...segments: string[]): string[] {
  return readdirSync(join(VECTORS_DIRECTORY, ...segments)).sort()
}
