import { describeStoreConformance } from '@writ/core/testing'
import { createSqliteStore } from '../src/index.js'
import { availableDrivers } from './drivers.js'
import { temporaryDirectory } from './helpers.js'

// Every driver this Node has runs the whole suite: better-sqlite3 everywhere, node:sqlite
// on Node 22.16 and later (test/driver.test.ts fails if a Node that has it is not listed).
for (const driver of availableDrivers()) {
  for (const [name, groupCommit] of [
    [`sqlite ${driver}`, false],
    [`sqlite ${driver} (group commit)`, true],
  ] as const) {
    describeStoreConformance(name, async () => {
      const directory = temporaryDirectory()
      const store = createSqliteStore({ path: directory.file(), groupCommit, driver })
      return {
        store,
        cleanup: async () => {
          await store.close()
          directory.remove()
        },
      }
    })
  }
}
