import { describe, expect, it } from 'vitest'
import { resolveActionName, validateActionName } from './action-name.js'
import type { WritError } from './errors.js'

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

describe('validateActionName', () => {
  it('returns a valid name and refuses others with ACTION_NAME_INVALID', () => {
    expect(validateActionName('payments.transfer')).toBe('payments.transfer')
    for (const name of ['', 'a b', 'x'.repeat(129), 7]) {
      expect(() => validateActionName(name)).toThrow(
        expect.objectContaining({ code: 'ACTION_NAME_INVALID' }) as WritError,
      )
    }
  })
})
