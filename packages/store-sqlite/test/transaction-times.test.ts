import { describe, expect, it } from 'vitest'
import { createSqliteStore } from '../src/index.js'
import { fakeIssuer, useTemporaryDirectory } from './helpers.js'

// stats().transactionMs: how long each append transaction held the thread that ran it,
// the figure an operator reads when decisions wait on the disk.

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0)

describe('transaction times', () => {
  const directory = useTemporaryDirectory()

  it('counts every append transaction once, in the bucket of its duration', async () => {
    const store = createSqliteStore({ path: directory.file(), groupCommit: true })
    try {
      const issue = fakeIssuer()
      await Promise.all(Array.from({ length: 50 }, () => store.append('c', { now: 1 }, issue)))
      // One transaction that holds the thread for 6 ms inside issue().
      await store.append('c', { now: 1 }, (context) => {
        const until = performance.now() + 6
        while (performance.now() < until) {}
        return issue(context)
      })
      const { transactionMs, batches } = store.stats()
      expect(transactionMs.counts).toHaveLength(transactionMs.le.length + 1)
      expect(sum(transactionMs.counts)).toBe(batches)
      expect(transactionMs.maxMs).toBeGreaterThanOrEqual(6)
      // The slow one sits in a bucket whose bound is over 5 ms.
      const slow = transactionMs.counts.filter(
        (_, index) => (transactionMs.le[index] ?? Infinity) > 5,
      )
      expect(sum(slow)).toBeGreaterThanOrEqual(1)
      expect(sum(transactionMs.totalMs)).toBeGreaterThanOrEqual(6)
      expect(sum(transactionMs.totalMs)).toBeLessThanOrEqual(transactionMs.maxMs * batches)
    } finally {
      await store.close()
    }
  })

  it('starts empty', async () => {
    const store = createSqliteStore({ path: directory.file() })
    try {
      const { transactionMs } = store.stats()
      expect(sum(transactionMs.counts)).toBe(0)
      expect(transactionMs.maxMs).toBe(0)
    } finally {
      await store.close()
    }
  })
})
