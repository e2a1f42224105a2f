import { describe, expect, it } from 'vitest'
import { actionRequestOf, resolveActionName } from './options.js'

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

describe('actionRequestOf', () => {
  it('sets only the options given, and the tool call id as the correlation id', () => {
    expect(actionRequestOf({}, 'a.b', { x: 1 }, undefined)).toEqual({
      action: 'a.b',
      args: { x: 1 },
    })
    expect(
      actionRequestOf(
        { agent: 'bot', audience: 'bank', context: { tenant: 't1' } },
        'a.b',
        '{}',
        'call_1',
      ),
    ).toEqual({
      action: 'a.b',
      args: '{}',
      agent: 'bot',
      audience: 'bank',
      context: { tenant: 't1' },
      request: 'call_1',
    })
  })
})
