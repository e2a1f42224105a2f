import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ActionIndex } from './action-index.js'
import { globToRegExp, literalPrefix, matchesAction } from './action-pattern.js'

describe('action globs', () => {
  it('`*` matches one segment, never a dot', () => {
    expect(matchesAction('payments.*', 'payments.transfer')).toBe(true)
    expect(matchesAction('payments.*', 'payments.a.b')).toBe(false)
    expect(matchesAction('payments.*', 'payments')).toBe(false)
    expect(matchesAction('payments.*', 'paymentsXtransfer')).toBe(false)
    expect(matchesAction('*.transfer', 'payments.transfer')).toBe(true)
    expect(matchesAction('pay*.transfer', 'payments.transfer')).toBe(true)
  })

  it('`**` matches any characters, dots included', () => {
    expect(matchesAction('payments.**', 'payments.transfer')).toBe(true)
    expect(matchesAction('payments.**', 'payments.a.b')).toBe(true)
    expect(matchesAction('payments.**', 'payments')).toBe(false)
    expect(matchesAction('**', 'anything.at.all')).toBe(true)
    expect(matchesAction('a.**.z', 'a.b.c.z')).toBe(true)
  })

  it('exact names match only themselves; dots and dashes are literal', () => {
    expect(matchesAction('payments.transfer', 'payments.transfer')).toBe(true)
    expect(matchesAction('payments.transfer', 'paymentsXtransfer')).toBe(false)
    expect(matchesAction('a-b.*', 'a-b.c')).toBe(true)
    expect(globToRegExp('a.b*').test('aXb')).toBe(false)
    expect(literalPrefix('payments.*.x')).toBe('payments.')
  })
})

describe('ActionIndex', () => {
  const patterns = [
    'pay.transfer',
    'pay.*',
    'pay.**',
    '**',
    'other.x',
    'pay.*.y',
    '*.y',
    'p*',
    'pay.transfer',
  ]
  const names = ['pay.transfer', 'pay.a.y', 'other.x', 'pay', 'x.y', 'p', 'zzz', 'pay.']

  it('finds exactly the entries a naive scan finds, in entry order, each once', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.constantFrom(...patterns), { minLength: 1, maxLength: 3 }), {
          maxLength: 12,
        }),
        fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 0, max: 3 }),
        (entryPatterns, lookups, cacheSize) => {
          const index = new ActionIndex(
            entryPatterns.map((list, value) => ({ patterns: list, value })),
            cacheSize,
          )
          for (const name of lookups) {
            const expected = entryPatterns.flatMap((list, value) =>
              list.some((pattern) => matchesAction(pattern, name)) ? [value] : [],
            )
            expect(index.lookup(name)).toEqual(expected)
          }
        },
      ),
    )
  })

  it('keeps answering correctly past its LRU bound', () => {
    const index = new ActionIndex(
      [
        { patterns: ['a.*'], value: 'glob' },
        { patterns: ['a.b'], value: 'exact' },
      ],
      2,
    )
    for (let round = 0; round < 3; round++) {
      expect(index.lookup('a.b')).toEqual(['glob', 'exact'])
      expect(index.lookup('a.c')).toEqual(['glob'])
      expect(index.lookup('b.c')).toEqual([])
    }
  })

  it('is not fooled by prototype names', () => {
    const index = new ActionIndex([{ patterns: ['x'], value: 1 }])
    expect(index.lookup('constructor')).toEqual([])
    expect(index.lookup('__proto__')).toEqual([])
  })
})
