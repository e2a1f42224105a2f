import { chmodSync, closeSync, constants, existsSync, fchmodSync, openSync } from 'node:fs'

/** Owner read and write, nothing for group or others. */
const PRIVATE_MODE = 0o600

/**
 * Creates `path` as an empty file readable and writable by its owner only (0600),
 * unless it exists already, in which case it is left as it is. The mode is set with
 * `fchmod` after creation, so a permissive umask cannot widen it. SQLite then opens
 * the file it finds and gives its `-wal` and `-shm` files the same mode.
 *
 * Receipts name URIs and an unexpired PERMIT is a bearer token for its lifetime: the
 * file is nobody else's to read. Paths SQLite treats specially (`:memory:`) are skipped.
 */
export function createPrivateFile(path: string): void {
  if (path === ':memory:' || existsSync(path)) return
  let descriptor: number
  try {
    descriptor = openSync(
      path,
      constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY,
      PRIVATE_MODE,
    )
  } catch (error) {
    // Another process created it first: it made it private the same way.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return
    throw error
  }
  try {
    fchmodSync(descriptor, PRIVATE_MODE)
  } finally {
    closeSync(descriptor)
  }
}

/**
 * Sets the `-wal` and `-shm` files beside `path` to 0600 when this process owns them. SQLite
 * creates them with the database file's mode; this also tightens companions left by an
 * older version of Writ, which created them 0644. Files owned by another user are left
 * alone (chmod would fail, and they are that user's to keep private).
 */
export function tightenCompanionFiles(path: string): void {
  if (path === ':memory:') return
  for (const companion of [`${path}-wal`, `${path}-shm`]) {
    try {
      chmodSync(companion, PRIVATE_MODE)
    } catch {
      // Absent (not created yet, or removed by a checkpoint) or not ours: nothing to tighten.
    }
  }
}
