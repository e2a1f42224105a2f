import { WritError } from '@writ/verify'
import { describe, expect, it } from 'vitest'
import { createMemoryStore } from './memory-store.js'
import { describeStoreConformance } from './testing/store-conformance.js'

describeStoreConformance('memory', async () => {
  const store = createMemoryStore()
  return { store, cleanup: () => store.close() }
})

// With keep, the same contract holds for everything the store still holds.
describeStoreConformance('memory, keep 1', async () => {
  const store = createMemoryStore({ keep: 1 })
  return { store, cleanup: () => store.close() }
})

describe('memory store', () => {
  it('refuses every operation once closed, with STORE_UNAVAILABLE', async () => {
    const store = createMemoryStore()
    await store.close()
    const refusals = [
      store.head('main'),
      store.chains(),
      store.receipt('x'),
      store.append('main', { now: 1 }, () => {
        throw new Error('must not be called')
      }),
    ]
    for (const refusal of refusals) {
      await expect(refusal).rejects.toSatisfy(
        (error: unknown) => WritError.isInstance(error) && error.code === 'STORE_UNAVAILABLE',
      )
    }
    expect(() => store.replay.claim('x', 1)).toThrow()
  })
})
