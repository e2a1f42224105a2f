import { statSync } from 'node:fs'
import { WritError } from '@writ/verify'

/** Which file a path named when the store opened it: device and inode. */
export interface FileIdentity {
  readonly dev: number
  readonly ino: number
}

/** The identity of the file at `path` now, or `undefined` when there is none. */
export function fileIdentityOf(path: string): FileIdentity | undefined {
  try {
    const stats = statSync(path)
    return { dev: stats.dev, ino: stats.ino }
  } catch {
    return undefined
  }
}

/**
 * The error of a store whose file was deleted or replaced under it: `STORE_UNAVAILABLE`
 * with `details.reason: 'STORE_REPLACED'` and `details.file` `'missing'` or `'replaced'`.
 */
export function replacedStoreError(path: string, file: string, operation = 'check'): WritError {
  return new WritError(
    'STORE_UNAVAILABLE',
    `The store file ${path} was ${file === 'missing' ? 'deleted' : 'replaced by another file'} while open; restart on the right file (${operation})`,
    { details: { operation, reason: 'STORE_REPLACED', file } },
  )
}
