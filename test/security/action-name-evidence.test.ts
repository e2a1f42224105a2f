/**
 * Evidence of a refused action name (item: the name as given, escaped). A receipt for
 * an invalid action name must show the auditor the lookalike that was attempted (a
 * zero-width space, Cyrillic letters, a huge name), escaped to printable ASCII, not a
 * placeholder that hides which attack it was. The receipt still verifies.
 */
import type { ActionRequest } from '@writ/core'
import { ACTION_NAME_PATTERN, verifyReceipt } from '@writ/verify'
import { describe, expect, it } from 'vitest'
import { makeGate } from './support.js'

describe('a DENY for an invalid action name records the name as given, escaped', () => {
  it.each([
    ['a zero-width space', 'payments.transfer\u200b', 'payments.transfer%E2%80%8B'],
    ['Cyrillic lookalikes', '\u0440\u0430yments.transfer', '%D1%80%D0%B0yments.transfer'],
    ['a control character', 'payments.transfer\n', 'payments.transfer%0A'],
    ['a percent sign', 'payments.%74ransfer', 'payments.%2574ransfer'],
    ['a lone surrogate', 'payments.\ud800', 'payments.%ED%A0%80'],
    ['an empty name', '', '(empty)'],
    [
      'a 500-character name',
      'p'.repeat(500),
      `${'p'.repeat(256 - '%~truncated(500)'.length)}%~truncated(500)`,
    ],
    ['a number', 42, '(non-string: number)'],
  ])('%s', async (_, action, recorded) => {
    const gate = makeGate()
    const decision = await gate.authorize({
      action,
      args: { amount: 10 },
    } as unknown as ActionRequest)
    expect(decision).toMatchObject({ decision: 'DENY', reason: 'INPUT_INVALID' })
    const { claims } = await verifyReceipt(decision.receipt, gate.verifyKeys())
    expect(claims.act.name).toBe(recorded)
    expect(ACTION_NAME_PATTERN.test(claims.act.name)).toBe(false)
  })

  it('two different lookalikes leave two different records', async () => {
    const gate = makeGate()
    const names = ['payments.transfer\u200b', 'payments.transfer\u200c', 'payments.transfer\u00a0']
    const recorded = new Set<string>()
    for (const action of names) {
      const decision = await gate.authorize({ action, args: { amount: 10 } })
      recorded.add((await verifyReceipt(decision.receipt, gate.verifyKeys())).claims.act.name)
    }
    expect(recorded.size).toBe(names.length)
  })
})
