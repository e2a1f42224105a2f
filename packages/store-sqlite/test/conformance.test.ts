import { describeStoreConformance } from '@writ/core/testing'
import { createSqliteStore } from '../src/index.js'
import { temporaryDirectory } from './helpers.js'

for (const [name, groupCommit] of [
  ['sqlite', false],
  ['sqlite (group commit)', true],
] as const) {
  describeStoreConformance(name, async () => {
    const directory = temporaryDirectory()
    const store = createSqliteStore({ path: directory.file(), groupCommit })
    return {
      store,
      cleanup: async () => {
        await store.close()
        directory.remove()
      },
    }
  })
}
