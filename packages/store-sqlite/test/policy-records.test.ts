import { compilePolicy, createGate, generateSigningKey, replayDecisions } from '@writ/core'
import {
  candidatePaymentsPolicyText,
  describePolicyRecordsConformance,
  paymentsPolicyTextWith,
} from '@writ/core/testing'
import { describe, expect, it } from 'vitest'
import { createSqliteStore } from '../src/index.js'
import { temporaryDirectory } from './helpers.js'

describePolicyRecordsConformance('sqlite', async (retention) => {
  const directory = temporaryDirectory()
  const store = createSqliteStore({
    path: directory.file(),
    groupCommit: true,
    ...(retention === undefined ? {} : { retention }),
  })
  return {
    store,
    cleanup: async () => {
      await store.close()
      directory.remove()
    },
  }
})

describe('sqlite: policy-operations records on disk', () => {
  it('keeps disagreements and retained arguments across a reopen', async () => {
    const directory = temporaryDirectory()
    const path = directory.file()
    try {
      const retention = [{ actions: 'payments.*' }]
      const first = createSqliteStore({ path, retention })
      const candidate = compilePolicy(candidatePaymentsPolicyText)
      const gate = createGate({
        policy: compilePolicy(paymentsPolicyTextWith()),
        keys: generateSigningKey(),
        issuer: 'https://writ.test',
        store: first,
        shadow: candidate,
      })
      const decision = await gate.authorize({
        action: 'payments.transfer',
        args: { to: 'bob', amount: 900 },
      })
      await first.close()
      const second = createSqliteStore({ path })
      const records = []
      for await (const record of second.records.disagreements()) records.push(record)
      expect(records).toMatchObject([
        { receipt: decision.claims.jti, candidate: { decision: 'SILENCE' } },
      ])
      expect(await second.records.retained(decision.claims.jti)).toMatchObject({
        args: { to: 'bob', amount: 900 },
      })
      // Reopened without retention: nothing new is kept, what was kept is still read.
      expect(second.records.retention).toBeUndefined()
      const report = await replayDecisions(second, candidate)
      expect(report).toMatchObject({ replayed: 1, changed: 1 })
      await second.close()
    } finally {
      directory.remove()
    }
  })

  it('writes the records of one burst together, and those queued at close before closing', async () => {
    const directory = temporaryDirectory()
    const path = directory.file()
    try {
      const first = createSqliteStore({ path, retention: [{ actions: '**' }] })
      const writes = Array.from({ length: 50 }, (_, index) =>
        first.records.putRetained({
          receipt: `jti-${index}`,
          args: { index },
          context: {},
          redacted: [],
        }),
      )
      // Closed before the queued writes had their turn: they are written first.
      await first.close()
      await Promise.all(writes)
      const second = createSqliteStore({ path })
      expect(await second.records.retained('jti-49')).toMatchObject({ args: { index: 49 } })
      await second.close()
    } finally {
      directory.remove()
    }
  })

  it('refuses a retention rule that names no action before opening the file', () => {
    const directory = temporaryDirectory()
    try {
      expect(() =>
        createSqliteStore({ path: directory.file(), retention: [{ actions: [] }] }),
      ).toThrow(expect.objectContaining({ code: 'GATE_ERROR' }))
    } finally {
      directory.remove()
    }
  })
})
