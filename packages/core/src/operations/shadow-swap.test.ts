import { describe, expect, it } from 'vitest'
import { createGate } from '../gate.js'
import { generateSigningKey } from '../keys.js'
import { createMemoryStore } from '../memory-store.js'
import { compilePolicy } from '../policy/index.js'

const policy = (max: number) => `writ: 1
id: payments
rules:
  - id: transfers
    effect: permit
    actions: [payments.transfer]
    when: args.amount <= ${max}
`

describe('LocalGate.setShadow', () => {
  it('swaps the candidate for later decisions; the same candidate keeps its counters', async () => {
    const store = createMemoryStore({ retention: [{ actions: '**' }] })
    const gate = createGate({
      policy: compilePolicy(policy(1000)),
      keys: generateSigningKey(),
      issuer: 'https://writ.test',
      store,
    })
    const transfer = { action: 'payments.transfer', args: { amount: 500 } }
    expect(gate.shadowStats()).toBeUndefined()
    gate.setShadow(compilePolicy(policy(100)))
    await gate.authorize(transfer)
    expect(gate.shadowStats()).toMatchObject({ evaluated: 1, disagreements: 1 })
    gate.setShadow(compilePolicy(policy(100)))
    expect(gate.shadowStats()).toMatchObject({ evaluated: 1, disagreements: 1 })
    const next = compilePolicy(policy(900))
    gate.setShadow(next)
    await gate.authorize(transfer)
    expect(gate.shadowStats()).toMatchObject({
      digest: next.digest,
      evaluated: 1,
      disagreements: 0,
    })
    // Something that is not a compiled policy is refused, and the candidate stays.
    expect(() => gate.setShadow({ id: 'x' } as never)).toThrow(
      expect.objectContaining({ code: 'POLICY_INVALID' }),
    )
    expect(gate.shadowStats()?.digest).toBe(next.digest)
    gate.setShadow(undefined)
    expect(gate.shadowStats()).toBeUndefined()
    // The enforcing decision never changed.
    expect((await gate.authorize(transfer)).decision).toBe('PERMIT')
  })
})
