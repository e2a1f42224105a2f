import { createMemoryStore } from '../memory-store.js'
import { describePolicyRecordsConformance } from '../testing/policy-records-conformance.js'

describePolicyRecordsConformance('memory', async (retention) => {
  const store = createMemoryStore(retention === undefined ? {} : { retention })
  return { store, cleanup: () => store.close() }
})
