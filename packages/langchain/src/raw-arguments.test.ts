import { describe, expect, it } from 'vitest'
import { proposal } from '../test/support.js'
import { rawArgumentsOf } from './raw-arguments.js'

describe('rawArgumentsOf', () => {
  const text = '{"to":"alice","amount":10,"amount":100000}'
  const messages = [proposal([{ id: 'call_1', name: 'payments.transfer', argsText: text }])]

  it('finds the raw text of a tool call by id when it parses to the args about to run', () => {
    expect(rawArgumentsOf(messages, 'call_1', { to: 'alice', amount: 100000 })).toBe(text)
  })

  it('ignores the text when the args were rewritten since the model produced them', () => {
    expect(rawArgumentsOf(messages, 'call_1', { to: 'alice', amount: 5 })).toBeUndefined()
  })

  it('returns nothing for unknown ids, missing ids and states without messages', () => {
    expect(rawArgumentsOf(messages, 'call_2', { to: 'alice', amount: 100000 })).toBeUndefined()
    expect(rawArgumentsOf(messages, undefined, { to: 'alice', amount: 100000 })).toBeUndefined()
    expect(rawArgumentsOf(undefined, 'call_1', {})).toBeUndefined()
    expect(
      rawArgumentsOf(
        [{ additional_kwargs: { tool_calls: [{ id: 'call_1', function: { arguments: 7 } }] } }],
        'call_1',
        {},
      ),
    ).toBeUndefined()
  })
})
