/**
 * Files that decide who may do what (the policy, the agents file, the signing key)
 * must be writable by their owner alone: a local user who could rewrite one could add a
 * token, loosen a rule or swap the key.
 */
import { statSync } from 'node:fs'
import { dirname } from 'node:path'
import { CliError } from './cli-error.js'

const GROUP_OR_OTHER_WRITE = 0o022
const OTHER_WRITE = 0o002
const STICKY = 0o1000

/**
 * Throws `FILE_UNSAFE` (exit 3) when `path` is writable by its group or by others, or
 * sits in a directory that anyone may write without the sticky bit (anyone could then
 * replace the file). Skipped on Windows, where POSIX modes do not describe access.
 */
export function requireOwnerWritable(path: string, what: string): void {
  if (process.platform === 'win32') return
  const file = statSync(path)
  if ((file.mode & GROUP_OR_OTHER_WRITE) !== 0) {
    throw new CliError(
      'FILE_UNSAFE',
      `${what} ${path} is writable by ${file.mode & 0o002 ? 'others' : 'its group'} (mode ${(file.mode & 0o777).toString(8).padStart(3, '0')}); make it writable by its owner only (chmod go-w)`,
      { details: { path } },
    )
  }
  const directory = dirname(path)
  const parent = statSync(directory)
  if ((parent.mode & OTHER_WRITE) !== 0 && (parent.mode & STICKY) === 0) {
    throw new CliError(
      'FILE_UNSAFE',
      `${what} ${path} is in ${directory}, which anyone may write without the sticky bit; anyone could replace the file`,
      { details: { path: directory } },
    )
  }
}
