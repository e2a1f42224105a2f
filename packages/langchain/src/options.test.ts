import { describe, expect, it } from 'vitest'
import { actionRequestOf } from './options.js'

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
