import { describe, expect, it } from 'vitest'
import { resolveActionName } from './action-name-mapping.js'

describe('resolveActionName', () => {
  it('uses the tool name unless a table or function maps it', () => {
    expect(resolveActionName(undefined, 'payments.transfer')).toBe('payments.transfer')
    expect(resolveActionName({ pay: 'payments.transfer' }, 'pay')).toBe('payments.transfer')
    expect(resolveActionName({ pay: 'payments.transfer' }, 'other')).toBe('other')
    expect(
      resolveActionName((name) => (name === 'pay' ? 'payments.transfer' : undefined), 'other'),
    ).toBe('other')
  })

  it('never reads inherited properties of a table', () => {
    expect(resolveActionName({}, 'constructor')).toBe('constructor')
    expect(resolveActionName({}, '__proto__')).toBe('__proto__')
    expect(resolveActionName({}, 'toString')).toBe('toString')
  })
})
