import { resolveDriver } from '../src/driver.js'

/**
 * The drivers the tests run with on this Node: better-sqlite3 always (a development
 * dependency, rebuilt for each Node in CI), and `node` when `auto` picks node:sqlite.
 * `WRIT_SQLITE_DRIVERS=node` limits the list, for running the node:sqlite part alone on
 * a Node that has no build of better-sqlite3.
 */
export function availableDrivers(): ('node' | 'better-sqlite3')[] {
  const drivers: ('node' | 'better-sqlite3')[] = ['better-sqlite3']
  if (resolveDriver('auto') === 'node') drivers.unshift('node')
  const only = process.env['WRIT_SQLITE_DRIVERS']?.split(',')
  return only === undefined ? drivers : drivers.filter((driver) => only.includes(driver))
}

/** Whether this Node is one whose `node:sqlite` has what the store needs (22.16+, 24+). */
export function nodeHasUsableSqlite(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number)
  return major >= 24 || (major === 22 && minor >= 16)
}
